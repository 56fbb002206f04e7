// The SQLite writer thread (started by sqlite-writer-thread.ts): its own connection to the
// database file. Every request waiting when it is free is written in one transaction, so mint
// and denial batches that arrive together share one fsync.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { SqliteBatchWriter, type BatchWrite } from './sqlite-batch-writer.ts';
import { openSqliteFile } from './sqlite-connection.ts';

export type WriterRequest = ({ id: number } & BatchWrite) | 'close';
export type WriterReply = { id: number; recorded: boolean[] } | { id: number; error: string };

type Write = Exclude<WriterRequest, 'close'>;

const port = parentPort!;
const path = (workerData as { path: string }).path;
// Opened by the first write, so that a failure to open is that write's error, not a dead thread.
let connection: { file: SQLite.Database; writer: SqliteBatchWriter } | null = null;

function open(): SqliteBatchWriter {
  if (connection) return connection.writer;
  const file = openSqliteFile(path);
  try {
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection, and inserts into
    // random-key indexes fill this one: 4 MB holds the B-trees' inner pages, and took 10–16 MB off
    // the server's RSS under load at no measured cost (leaf pages come from the OS's cache).
    file.pragma('cache_size = -4000');
    connection = { file, writer: new SqliteBatchWriter(file) };
    return connection.writer;
  } catch (err) {
    file.close();
    throw err;
  }
}

/** All requests in one transaction: each one's result, or, if the transaction fails, its error for all. */
function writeAll(requests: Write[]): WriterReply[] {
  try {
    const results = open().write(requests);
    return requests.map((request, i) => ({ id: request.id, recorded: results[i]! }));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return requests.map((request) => ({ id: request.id, error }));
  }
}

port.on('message', (first: WriterRequest) => {
  const requests = [first];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) requests.push(next.message as WriterRequest);
  const writes = requests.filter((r): r is Write => r !== 'close');
  if (writes.length > 0) for (const reply of writeAll(writes)) port.postMessage(reply);
  if (writes.length < requests.length) {
    connection?.file.close();
    port.close();
  }
});
