// The ledger writer thread (started by ledger-writer-thread.ts): its own connection to the SQLite
// file, writing one mint batch per message, in order.
import { parentPort, workerData } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { MintRecord } from '../ports.ts';
import { writeMintBatch } from './mint-batch.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite-connection.ts';

export type WriterRequest = { id: number; mints: MintRecord[] } | 'close';
export type WriterReply = { id: number; recorded: boolean[] } | { id: number; error: string };

const port = parentPort!;
const path = (workerData as { path: string }).path;
// Opened by the first write, so that a failure to open is that write's error, not a dead thread.
let db: Kysely<Database> | null = null;
let done: Promise<void> = Promise.resolve();

port.on('message', (request: WriterRequest) => {
  done = done.then(async () => {
    if (request === 'close') {
      await db?.destroy();
      port.close();
      return;
    }
    const reply: WriterReply = await Promise.resolve()
      .then(() => writeMintBatch((db ??= openSqlite(path)), request.mints))
      .then(
        (recorded) => ({ id: request.id, recorded }),
        (err: unknown) => ({ id: request.id, error: err instanceof Error ? err.message : String(err) }),
      );
    port.postMessage(reply);
  });
});
