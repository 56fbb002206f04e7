import { setTimeout as delay } from 'node:timers/promises';

export type Sleep = (ms: number) => Promise<void>;
export const defaultSleep: Sleep = (ms) => delay(ms);

/** Outcome of one attempt: a value, or an error with the delay before the next try (`null` = give up). */
export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: Error; retryDelayMs: number | null };

/**
 * Runs `attempt` until it succeeds, declares the failure final, or
 * `maxAttempts` is reached; the last error is thrown as is.
 */
export async function withRetries<T>(
  attempt: (attemptIndex: number) => Promise<AttemptOutcome<T>>,
  options: { maxAttempts: number; sleep: Sleep },
): Promise<T> {
  for (let index = 0; ; index++) {
    const outcome = await attempt(index);
    if (outcome.ok) return outcome.value;
    if (outcome.retryDelayMs === null || index + 1 >= options.maxAttempts) throw outcome.error;
    await options.sleep(outcome.retryDelayMs);
  }
}

/**
 * Exponential backoff with ±50 % jitter: base·2^attempt, capped, then scaled
 * by a factor in [0.5, 1.5). Jitter keeps a fleet of workloads that failed
 * together from retrying in lockstep.
 */
export function backoffDelayMs(attemptIndex: number, options: { baseMs: number; capMs: number; random: () => number }): number {
  const exponential = Math.min(options.capMs, options.baseMs * 2 ** attemptIndex);
  return Math.round(exponential * (0.5 + options.random()));
}

/**
 * Parses `Retry-After` (delta seconds or HTTP date) into milliseconds, capped
 * so a misbehaving server cannot park the workload for hours.
 */
export function retryAfterMs(header: string | null, nowMs: number, capMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const trimmed = header.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    // Only HTTP dates ("Fri, 01 May 2026 10:00:05 GMT"); Date.parse would also read "-5" as a year.
    const at = /^[A-Za-z]{3},/.test(trimmed) ? Date.parse(trimmed) : NaN;
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.min(capMs, Math.max(0, ms));
}
