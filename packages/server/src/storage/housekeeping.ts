import type { Stores } from '../storage/ports.ts';

const DAY_MS = 86_400_000;
const MAX_RETENTION_DAYS = 36_500;
const DEFAULT_SWEEP_INTERVAL_MS = 3_600_000;

export interface HousekeepingOptions {
  stores: Pick<Stores, 'authEvents' | 'sweep'>;
  /** Events older than this many days are deleted; whole days, 1 to 36 500. */
  retentionDays: number;
  now: () => Date;
  /** How often to sweep (default hourly). The first sweep runs immediately. */
  intervalMs?: number;
  /** Called when a sweep fails; the next interval tries again. */
  onError?: (err: unknown) => void;
}

export interface Housekeeping {
  /** Deletes expired rows and events older than the retention window now; returns how many. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a running sweep to finish. */
  stop(): Promise<void>;
}

/**
 * Keeps storage bounded: expired tokens, JTI records and console sessions go as soon as they
 * expire, authentication events after the retention window (spec §8). Runs at start, then
 * periodically; never keeps the process alive.
 */
export function startHousekeeping(options: HousekeepingOptions): Housekeeping {
  const { stores, retentionDays, now } = options;
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new RangeError(`retentionDays must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${String(retentionDays)}`);
  }
  const intervalMs = options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) throw new RangeError('intervalMs must be a whole number of milliseconds, at least 1000');

  let running: Promise<number> | null = null;
  const sweep = (): Promise<number> => {
    // One sweep at a time: a slow delete must not pile up behind the timer.
    running ??= (async () => {
      const at = now();
      const expired = await stores.sweep(at.toISOString());
      return expired + (await stores.authEvents.deleteOlderThan(new Date(at.getTime() - retentionDays * DAY_MS).toISOString()));
    })().finally(() => {
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
