import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/openwif.js', import.meta.url).pathname;

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

/** `openwif serve` on SQLite (a temp file) or on PostgreSQL + Redis. */
export function startOpenWif(
  backend: { databaseUrl?: string; redisUrl?: string } = {},
  nodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<ChildServer> {
  const databaseUrl = backend.databaseUrl ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'openwif-bench-')), 'db.sqlite')}`;
  return startChild([...nodeArgs, BIN, 'serve'], {
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
