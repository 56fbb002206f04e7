import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenWif, bundleForNode } from '../../scripts/build.ts';

// Inside node_modules, so that bundles resolve what stays outside them (better-sqlite3, htmx.org).
const BUILD_DIR = fileURLToPath(new URL(`../../../../node_modules/.cache/openwif-bench-${process.pid}/`, import.meta.url));
let openWifBuild: Promise<string> | undefined;
process.once('exit', () => rmSync(BUILD_DIR, { recursive: true, force: true }));

/** The production build of the current source, made once per run: the server is measured as it ships. */
function productionBuild(): Promise<string> {
  openWifBuild ??= buildOpenWif(BUILD_DIR).then(() => join(BUILD_DIR, 'openwif.js'));
  return openWifBuild;
}

/** A baseline script bundled the way OpenWIF is, to compare like with like; returns the file to run. */
export async function bundledBaseline(entry: string, name: string): Promise<string> {
  // After OpenWIF's build, which empties the directory first.
  await productionBuild();
  await bundleForNode({ [name]: entry }, BUILD_DIR);
  return join(BUILD_DIR, `${name}.js`);
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  rssMb(): number;
  stop(): Promise<void>;
}

/** Starts a process and resolves when it prints `listening on <url>`. */
export function startChild(args: string[], env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/i.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          url: match[1],
          child,
          rssMb: () => readRssMb(child.pid!),
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

export const BENCH_ADMIN_TOKEN = 'owif-admin-bench-0123456789abcdefghijklmnopqrstuvwxyz';

/** `openwif serve` (the production build) on SQLite (a temp file) or on PostgreSQL + Redis. */
export async function startOpenWif(
  backend: { databaseUrl?: string; redisUrl?: string } = {},
  nodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<ChildServer> {
  const databaseUrl = backend.databaseUrl ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'openwif-bench-')), 'db.sqlite')}`;
  return startChild([...nodeArgs, await productionBuild(), 'serve'], {
    ...extraEnv,
    OPENWIF_DATABASE_URL: databaseUrl,
    ...(backend.redisUrl ? { OPENWIF_REDIS_URL: backend.redisUrl } : {}),
    OPENWIF_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    OPENWIF_PORT: '0',
    OPENWIF_LOG_LEVEL: 'warn',
    OPENWIF_OUTBOUND_ALLOW: '127.0.0.1',
  });
}

function readRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}
