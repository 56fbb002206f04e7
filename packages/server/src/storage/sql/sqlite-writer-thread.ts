import { Worker } from 'node:worker_threads';
import type { AuthEvent } from '../../domain/types.ts';
import { StoreUnavailableError, type MintRecord } from '../ports.ts';
import type { WriterReply, WriterRequest } from './sqlite-writer.worker.ts';

interface Pending {
  resolve: (recorded: boolean[]) => void;
  reject: (err: Error) => void;
}

/**
 * Writes the exchange's batches, mints (`mint-batch.ts`) and denial events, on a thread of its
 * own with its own connection to the SQLite file. better-sqlite3 is synchronous: on the event
 * loop, every group commit's statements and fsync stopped all other requests while they ran
 * (~27 % of an exchange's loop time, BENCHMARKS.md), and a write waiting for the other
 * connection's lock would sleep there too. The thread starts at the first write. If it dies, the
 * writes it held fail (the exchange fails closed) and the next write starts a new one.
 */
export class SqliteWriterThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly path: string) {}

  /** Per mint, whether it was recorded (false: its jti was taken). */
  readonly writeMints = (mints: MintRecord[]): Promise<boolean[]> => this.send({ id: this.nextId++, mints });

  readonly writeEvents = async (events: AuthEvent[]): Promise<void> => {
    await this.send({ id: this.nextId++, events });
  };

  /** Lets the thread finish what it was sent, then stops it. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const request: WriterRequest = 'close';
    worker.ref();
    worker.postMessage(request);
    await exited;
  }

  private send(request: Exclude<WriterRequest, 'close'>): Promise<boolean[]> {
    // After close, a write fails like one to an unreachable database (503), and starts no new thread.
    if (this.closed) return Promise.reject(new StoreUnavailableError('the database is closing'));
    return new Promise((resolve, reject) => {
      const worker = this.running();
      this.pending.set(request.id, { resolve, reject });
      // An idle thread does not keep the process alive; one holding a write does.
      worker.ref();
      worker.postMessage(request);
    });
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = startWriter(this.path);
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.recorded);
    });
    // An uncaught error in the thread ends it; 'exit' follows and fails what it held.
    worker.on('error', () => {});
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      const failed = [...this.pending.values()];
      this.pending.clear();
      for (const waiting of failed) waiting.reject(new StoreUnavailableError(`the SQLite writer thread exited (${code}) before answering`));
    });
    this.worker = worker;
    return worker;
  }
}

/** From the bundle, its sibling dist/sqlite-writer.worker.js; from source, the .ts file through tsx. */
function startWriter(path: string): Worker {
  const options = { workerData: { path } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-writer.worker.js', import.meta.url), options);
  const entry = new URL('./sqlite-writer.worker.ts', import.meta.url).href;
  // Under tsx's hooks a module that fails to load leaves the thread alive, silent; exit instead.
  const source = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); import(${JSON.stringify(entry)}).catch(() => process.exit(1));`;
  return new Worker(source, { ...options, eval: true });
}
