// The SQLite checkpointer thread (started with the writer thread by sqlite-writer-thread.ts).
// In WAL mode, SQLite copies the log back into the database file (a checkpoint, with its own
// fsync) inside whichever commit pushes the log past its threshold: about one group commit in a
// hundred took 6–12 ms instead of ~1, and every exchange waiting on it did too (the p99 at half
// load). Here a connection of its own checkpoints every CHECKPOINT_INTERVAL_MS instead, without
// blocking the writer (PASSIVE: it copies what no reader still needs, and never waits).
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const CHECKPOINT_INTERVAL_MS = 100;

const port = parentPort!;
const path = (workerData as { path: string }).path;
let file: SQLite.Database | null = null;

const timer = setInterval(() => {
  try {
    // The writer creates the file: until it has, there is nothing to checkpoint.
    if (!file) {
      file = new SQLite(path, { fileMustExist: true });
      file.pragma('synchronous = FULL');
    }
    file.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // A missed checkpoint is retried at the next tick; the connections' own threshold is the backstop.
    file?.close();
    file = null;
  }
}, CHECKPOINT_INTERVAL_MS);

port.on('message', () => {
  clearInterval(timer);
  file?.close();
  port.close();
});
