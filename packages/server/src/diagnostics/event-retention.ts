import type { Stores } from '../storage/ports.ts';

const DAY_MS = 86_400_000;
const MAX_RETENTION_DAYS = 36_500;
const DEFAULT_SWEEP_INTERVAL_MS = 3_600_000;

export interface EventRetentionOptions {
  stores: Pick<Stores, 'authEvents'>;
  /** Events older than this many days are deleted; whole days, 1 to 36 500. */
  retentionDays: number;
  now: () => Date;
  /** How often to sweep (default hourly). The first sweep runs immediately. */
  intervalMs?: number;
  /** Called when a sweep fails; the next interval tries again. */
  onError?: (err: unknown) => void;
}

export interface EventRetention {
  /** Deletes events older than the retention window now; returns how many. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a running sweep to finish. */
  stop(): Promise<void>;
}

/** Keeps the authentication history bounded (spec §8): a periodic `deleteOlderThan`. */
export function startEventRetention(options: EventRetentionOptions): EventRetention {
  const { stores, retentionDays, now } = options;
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new RangeError(`retentionDays must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${String(retentionDays)}`);
  }
  const intervalMs = options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) throw new RangeError('intervalMs must be a whole number of milliseconds, at least 1000');

  let running: Promise<number> | null = null;
  const sweep = (): Promise<number> => {
    // One sweep at a time: a slow delete must not pile up behind the timer.
    running ??= stores.authEvents
      .deleteOlderThan(new Date(now().getTime() - retentionDays * DAY_MS).toISOString())
      .finally(() => {
        running = null;
      });
    return running;
  };
  const tick = () => {
    sweep().catch((err: unknown) => options.onError?.(err));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
