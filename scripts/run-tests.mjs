#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test with node's test runner, twice:
//   1. all tests, on the embedded SQLite default;
//   2. the suites that touch storage again, on PostgreSQL + Redis (TEST_STORE=postgres),
//      so both backends pass the same tests.
// Node 20's --test does not expand globs itself, hence this file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
/** Suites that never open a store: run once. */
const STORELESS = [
  'packages/server/test/policy',
  'packages/server/test/emulators',
  'packages/server/test/trust',
  'packages/server/test/config',
  'packages/server/test/domain',
  'packages/client',
];

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const only = process.argv.slice(2);
const all = ['packages/client/test', 'packages/server/test']
  .flatMap((d) => find(join(root, d)))
  .filter((f) => only.length === 0 || only.some((o) => relative(root, f).startsWith(o)));

function run(label, files, env) {
  if (files.length === 0) return 0;
  process.stdout.write(`\n=== ${label}: ${files.length} test files ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

const sqlite = run('SQLite', all, { TEST_STORE: 'sqlite' });
const storeBacked = all.filter((f) => !STORELESS.some((d) => relative(root, f).startsWith(d)));
const postgres = run('PostgreSQL + Redis', storeBacked, { TEST_STORE: 'postgres' });
process.exit(sqlite || postgres);
