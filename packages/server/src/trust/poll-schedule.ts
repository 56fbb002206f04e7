import type { Issuer, PollStatus } from '../domain/types.ts';

export interface PollScheduleSettings {
  intervalMs: number;
  maxBackoffMs: number;
  pauseAfterFailures: number;
  pauseAfterFailingMs: number;
}

/** What to store after a poll: the new status and the pause timestamp (null = not paused). */
export interface PollOutcome {
  status: PollStatus;
  pollingDisabledAt: string | null;
}

/** Delay before the next poll after `failures` consecutive failures: 1×, 2×, 4×… the interval, capped. */
export function backoffDelay(failures: number, s: PollScheduleSettings): number {
  if (failures <= 0) return s.intervalMs;
  return Math.min(s.intervalMs * 2 ** Math.min(failures - 1, 30), s.maxBackoffMs);
}

export function afterSuccess(now: number, s: PollScheduleSettings): PollOutcome {
  return {
    status: { consecutive_failures: 0, last_fetched_at: iso(now), next_poll_at: iso(now + s.intervalMs) },
    pollingDisabledAt: null,
  };
}

/**
 * The status after one more failure. Polling pauses after `pauseAfterFailures` failures in a
 * row, or once the streak has lasted `pauseAfterFailingMs`. The streak's length is measured
 * along the poll schedule (the sum of the backoff delays so far), bounded by the time since the
 * last success or issuer update: a server restart after downtime does not count the downtime.
 */
export function afterFailure(issuer: Issuer, now: number, s: PollScheduleSettings): PollOutcome {
  const failures = (issuer.poll_status?.consecutive_failures ?? 0) + 1;
  let scheduled = 0;
  for (let i = 1; i < failures && scheduled < s.pauseAfterFailingMs; i++) scheduled += backoffDelay(i, s);
  const streakStart = Math.max(parseTime(issuer.poll_status?.last_fetched_at) ?? -Infinity, parseTime(issuer.updated_at) ?? -Infinity);
  const failingFor = Math.min(scheduled, now - streakStart);
  const pause = failures >= s.pauseAfterFailures || (failures >= 2 && failingFor >= s.pauseAfterFailingMs);
  return {
    status: {
      consecutive_failures: failures,
      last_fetched_at: issuer.poll_status?.last_fetched_at ?? null,
      next_poll_at: pause ? null : iso(now + backoffDelay(failures, s)),
    },
    pollingDisabledAt: pause ? iso(now) : null,
  };
}

/**
 * Whether to poll now. The store's `next_poll_at` is shared by every instance (an admin
 * re-enable sets it to now); `localNextAt` is this process's own schedule, so each instance
 * keeps its in-memory keys fresh even when another instance polled recently.
 */
export function isDue(issuer: Issuer, now: number, localNextAt: number | undefined): boolean {
  if (issuer.jwks_polling_disabled_at !== null || issuer.archived_at !== null || issuer.jwks.type === 'inline') return false;
  const storeNextAt = parseTime(issuer.poll_status?.next_poll_at) ?? -Infinity;
  return now >= Math.min(storeNextAt, localNextAt ?? Infinity);
}

function parseTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
