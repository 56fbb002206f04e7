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
 * connection's lock would sleep there too. The thread starts at the first write, with a second
 * one that checkpoints the write-ahead log (`sqlite-checkpointer.worker.ts`). If the writer dies,
 * the writes it held fail (the exchange fails closed) and the next write starts a new one.
 */
export class SqliteWriterThread {
  private worker: Worker | null = null;
  private checkpointer: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly path: string) {}

  /** Per mint, whether it was recorded (false: its jti was taken). */
  readonly writeMints = (mints: MintRecord[]): Promise<boolean[]> => this.send({ id: this.nextId++, mints });

  readonly writeEvents = async (events: AuthEvent[]): Promise<void> => {
    await this.send({ id: this.nextId++, events });
  };

  /** Lets the thread finish what it was sent, then stops it and the checkpointer. */
  async close(): Promise<void> {
    this.closed = true;
    const { checkpointer, worker } = this;
    this.checkpointer = null;
    this.worker = null;
    if (checkpointer) await stop(checkpointer);
    if (worker) await stop(worker);
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

  /** Never keeps the process alive; if it dies, the next writer thread starts another. */
  private startCheckpointer(): Worker {
    const checkpointer = startWorker('sqlite-checkpointer.worker', this.path);
    checkpointer.unref();
    checkpointer.on('error', () => {});
    checkpointer.once('exit', () => {
      if (this.checkpointer === checkpointer) this.checkpointer = null;
    });
    return checkpointer;
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    this.checkpointer ??= this.startCheckpointer();
    const worker = startWorker('sqlite-writer.worker', this.path);
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

/** Asks a thread to close (both take 'close') and waits until it has exited. */
async function stop(thread: Worker): Promise<void> {
  const exited = new Promise((resolve) => thread.once('exit', resolve));
  const request: WriterRequest = 'close';
  thread.ref();
  thread.postMessage(request);
  await exited;
}

/** From the bundle, its sibling `dist/<name>.js`; from source, the .ts file through tsx. */
function startWorker(name: 'sqlite-writer.worker' | 'sqlite-checkpointer.worker', path: string): Worker {
  // Each batch allocates briefly; V8 would let each thread's young generation grow to 48 MB
  // (server RSS +25 MB under load). 6 MB measured no slower (BENCHMARKS.md).
  const options = { workerData: { path }, resourceLimits: { maxYoungGenerationSizeMb: 6 } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  // Under tsx's hooks a module that fails to load leaves the thread alive, silent; exit instead.
  const source = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); import(${JSON.stringify(entry)}).catch(() => process.exit(1));`;
  return new Worker(source, { ...options, eval: true });
}
