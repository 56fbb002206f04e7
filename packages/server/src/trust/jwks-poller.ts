import type { Issuer } from '../domain/types.ts';
import type { IssuerStore } from '../storage/ports.ts';
import { keySourceFingerprint } from './issuer-key-set.ts';
import { JWKS_DEFAULTS } from './jwks-defaults.ts';
import type { IssuerKeyCache } from './key-resolver.ts';
import { afterFailure, afterSuccess, isDue, type PollOutcome, type PollScheduleSettings } from './poll-schedule.ts';

/** The subset of a pino / Fastify logger the poller writes to. */
export interface PollerLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface JwksPollerOptions {
  stores: { issuers: Pick<IssuerStore, 'listPollable' | 'recordPoll'> };
  keys: Pick<IssuerKeyCache, 'refresh'>;
  now?: () => number;
  /** Poll interval of a healthy issuer. */
  intervalMs?: number;
  maxBackoffMs?: number;
  pauseAfterFailures?: number;
  pauseAfterFailingMs?: number;
  /** How often the issuer table is read to find due issuers (and re-enabled ones). */
  tickMs?: number;
  /** Delay before the first tick (0: warm the caches right after start). */
  initialDelayMs?: number;
  concurrency?: number;
  log?: PollerLog;
}

export interface JwksPoller {
  /** Stops scheduling, aborts fetches in flight and waits for the current tick to end. */
  stop(): Promise<void>;
  /** Runs one tick now (after any tick in progress); resolves when it is done. Never rejects. */
  tickNow(): Promise<void>;
}

const silent: PollerLog = { warn: () => undefined, error: () => undefined };

/**
 * Background refresh of every live, non-inline, non-paused issuer: reads the store each tick,
 * polls the due issuers through the key cache (at most `concurrency` at once), records
 * `poll_status` and pauses issuers that keep failing. Timers are unref'd, so the poller never
 * keeps the process alive; nothing escapes the loop.
 */
export function startJwksPoller(options: JwksPollerOptions): JwksPoller {
  const now = options.now ?? Date.now;
  const log = options.log ?? silent;
  const schedule: PollScheduleSettings = {
    intervalMs: options.intervalMs ?? JWKS_DEFAULTS.pollIntervalMs,
    maxBackoffMs: options.maxBackoffMs ?? JWKS_DEFAULTS.maxBackoffMs,
    pauseAfterFailures: options.pauseAfterFailures ?? JWKS_DEFAULTS.pauseAfterFailures,
    pauseAfterFailingMs: options.pauseAfterFailingMs ?? JWKS_DEFAULTS.pauseAfterFailingMs,
  };
  const tickMs = options.tickMs ?? JWKS_DEFAULTS.pollerTickMs;
  const concurrency = Math.max(1, options.concurrency ?? JWKS_DEFAULTS.pollerConcurrency);
  /** This process's own next poll time per issuer, tied to the config it was computed for. */
  const localNext = new Map<string, { fingerprint: string; at: number }>();
  const abort = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function pollOne(issuer: Issuer): Promise<void> {
    let outcome: PollOutcome;
    try {
      await options.keys.refresh(issuer, abort.signal);
      outcome = afterSuccess(now(), schedule);
    } catch (err) {
      if (stopped) return;
      outcome = afterFailure(issuer, now(), schedule);
      const details = { issuer_id: issuer.id, consecutive_failures: outcome.status.consecutive_failures, error: (err as Error).message.slice(0, 300) };
      if (outcome.pollingDisabledAt) log.error(details, 'JWKS polling paused after repeated failures; re-enable it on the issuer');
      else log.warn(details, 'JWKS poll failed; keeping the last-good keys');
    }
    const nextAt = outcome.status.next_poll_at;
    if (nextAt === null) localNext.delete(issuer.id);
    else localNext.set(issuer.id, { fingerprint: keySourceFingerprint(issuer), at: Date.parse(nextAt) });
    await options.stores.issuers.recordPoll(issuer.id, outcome.status, outcome.pollingDisabledAt);
  }

  async function tick(): Promise<void> {
    const issuers = await options.stores.issuers.listPollable();
    const live = new Set(issuers.map((i) => i.id));
    for (const id of localNext.keys()) if (!live.has(id)) localNext.delete(id);
    const at = now();
    const due = issuers.filter((issuer) => {
      const local = localNext.get(issuer.id);
      // A changed key config is polled at once, whatever the schedule said for the old one.
      if (local && local.fingerprint !== keySourceFingerprint(issuer)) return issuer.jwks_polling_disabled_at === null && issuer.jwks.type !== 'inline';
      return isDue(issuer, at, local?.at);
    });
    let next = 0;
    const worker = async () => {
      while (!stopped && next < due.length) {
        const issuer = due[next++]!;
        await pollOne(issuer).catch((err: unknown) =>
          log.error({ issuer_id: issuer.id, error: String((err as Error)?.message ?? err).slice(0, 300) }, 'recording the JWKS poll status failed'),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  }

  function runTick(): Promise<void> {
    running ??= tick()
      .catch((err: unknown) => log.error({ error: String((err as Error)?.message ?? err).slice(0, 300) }, 'JWKS poller tick failed'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  function scheduleNext(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => void runTick().finally(() => scheduleNext(tickMs)), delayMs);
    timer.unref();
  }

  scheduleNext(options.initialDelayMs ?? 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running;
    },
    async tickNow() {
      if (stopped) return;
      await running;
      await runTick();
    },
  };
}
