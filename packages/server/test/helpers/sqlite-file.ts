import { randomUUID } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';

/**
 * Counts rows with `query` in the SQLite database file alone, ignoring its write-ahead log: what
 * a checkpoint has already copied into the file. Reads a copy; 0 for a copy taken mid-checkpoint.
 */
export function countInFileAlone(file: string, query: string): number {
  const copy = join(dirname(file), `copy-${randomUUID()}.db`);
  copyFileSync(file, copy);
  const db = new SQLite(copy, { readonly: true });
  try {
    return (db.prepare(query).get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

/** Polls `countInFileAlone` until it reaches `expected` or `timeoutMs` passes; returns the last count. */
export async function awaitCheckpointed(file: string, query: string, expected: number, timeoutMs = 3_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = countInFileAlone(file, query);
  while (count < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    count = countInFileAlone(file, query);
  }
  return count;
}
