// The SQLite writer thread (started by sqlite-writer-thread.ts): its own connection to the
// database file. Every request waiting when it is free is written in one transaction, so mint
// and denial batches that arrive together share one fsync.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { AuthEvent } from '../../domain/types.ts';
import type { MintRecord } from '../ports.ts';
import { insertEvents } from './auth-event-store.ts';
import { writeMints } from './mint-batch.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite-connection.ts';

export type WriterRequest = { id: number; mints: MintRecord[] } | { id: number; events: AuthEvent[] } | 'close';
export type WriterReply = { id: number; recorded: boolean[] } | { id: number; error: string };

const port = parentPort!;
const path = (workerData as { path: string }).path;
// Opened by the first write, so that a failure to open is that write's error, not a dead thread.
let db: Kysely<Database> | null = null;
let done: Promise<void> = Promise.resolve();

type Write = Exclude<WriterRequest, 'close'>;

/** All requests in one transaction: each one's result, or, if the transaction fails, its error for all. */
async function writeAll(requests: Write[]): Promise<WriterReply[]> {
  try {
    db ??= openSqlite(path);
    const results = await db.transaction().execute(async (tx) => {
      const out: boolean[][] = [];
      for (const request of requests) {
        if ('mints' in request) out.push(await writeMints(tx, request.mints));
        else {
          await insertEvents(tx, request.events);
          out.push([]);
        }
      }
      return out;
    });
    return requests.map((request, i) => ({ id: request.id, recorded: results[i]! }));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return requests.map((request) => ({ id: request.id, error }));
  }
}

port.on('message', (first: WriterRequest) => {
  const requests = [first];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) requests.push(next.message as WriterRequest);
  done = done.then(async () => {
    const writes = requests.filter((r): r is Write => r !== 'close');
    if (writes.length > 0) for (const reply of await writeAll(writes)) port.postMessage(reply);
    if (writes.length < requests.length) {
      await db?.destroy();
      port.close();
    }
  });
});
