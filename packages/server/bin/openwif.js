#!/usr/bin/env node
// Runs the production build (dist/openwif.js, from `npm run build`, which `npm ci` runs) when it
// is newer than every source it was built from, and the TypeScript source through tsx otherwise:
// a checkout works without a build step, and an edited source is never shadowed by an old build.
import { existsSync, readdirSync, statSync } from 'node:fs';

const BUILD = new URL('../dist/openwif.js', import.meta.url);
const SOURCES = ['../src/', '../../client/src/', '../../../package-lock.json'].map((path) => new URL(path, import.meta.url));

/** Newest modification time under a file or directory; 0 if it does not exist (a packed install). */
function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

const buildIsCurrent = existsSync(BUILD) && statSync(BUILD).mtimeMs >= Math.max(...SOURCES.map(newestChange));
if (!buildIsCurrent) (await import('tsx/esm/api')).register();
await import(buildIsCurrent ? BUILD.href : '../src/cli/run.ts');
