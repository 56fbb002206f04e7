import type { AccessToken } from './exchange.ts';

export const ADVISORY_REFRESH_SECONDS = 120;
export const MANDATORY_REFRESH_SECONDS = 30;
export const ADVISORY_BACKOFF_MS = 5000;

export type TokenSource = (opts: { forced: boolean }) => Promise<AccessToken>;

interface PendingRefresh {
  promise: Promise<AccessToken>;
  forced: boolean;
}

/**
 * Two-tier proactive cache with the official SDK's semantics (spec §9.3):
 * more than 120 s left → cached; 30–120 s → cached plus one background
 * refresh (a failure keeps the old token and pauses background attempts for
 * 5 s); 30 s or less → blocking refresh. Concurrent callers share one
 * refresh; a forced refresh never joins a non-forced one, and a result that
 * finishes after a newer refresh started is never stored over it.
 */
export class TokenCache {
  readonly #source: TokenSource;
  readonly #now: () => number;
  readonly #onBackgroundError: (err: unknown) => void;
  #cached: AccessToken | null = null;
  #cachedGeneration = 0;
  #generation = 0;
  #pending: PendingRefresh | null = null;
  #nextForced = false;
  #backgroundPausedUntilMs = 0;

  constructor(source: TokenSource, options: { now: () => number; onBackgroundError: (err: unknown) => void }) {
    this.#source = source;
    this.#now = options.now;
    this.#onBackgroundError = options.onBackgroundError;
  }

  async getToken(opts: { forceRefresh?: boolean } = {}): Promise<AccessToken> {
    const cached = this.#cached;
    if (opts.forceRefresh === true || this.#nextForced || cached === null) {
      return this.#refresh(opts.forceRefresh === true || this.#nextForced);
    }
    if (cached.expiresAt === null) return cached;
    const remainingSeconds = cached.expiresAt - this.#now() / 1000;
    if (remainingSeconds > ADVISORY_REFRESH_SECONDS) return cached;
    if (remainingSeconds > MANDATORY_REFRESH_SECONDS) {
      this.#refreshInBackground();
      return cached;
    }
    return this.#refresh(false);
  }

  /** Drops the cached token; the next {@link getToken} performs a forced refresh (as after a 401). */
  invalidate(): void {
    this.#cached = null;
    this.#nextForced = true;
  }

  #refresh(forced: boolean): Promise<AccessToken> {
    const pending = this.#pending;
    if (pending !== null && (pending.forced || !forced)) return pending.promise;
    return this.#start(forced);
  }

  #refreshInBackground(): void {
    if (this.#pending !== null || this.#now() < this.#backgroundPausedUntilMs) return;
    this.#start(false).catch((err: unknown) => {
      this.#backgroundPausedUntilMs = this.#now() + ADVISORY_BACKOFF_MS;
      this.#onBackgroundError(err);
    });
  }

  #start(forced: boolean): Promise<AccessToken> {
    const generation = ++this.#generation;
    if (forced) this.#nextForced = false;
    const promise = this.#source({ forced }).then((token) => {
      if (generation > this.#cachedGeneration) {
        this.#cached = token;
        this.#cachedGeneration = generation;
      }
      return token;
    });
    const entry: PendingRefresh = { promise, forced };
    this.#pending = entry;
    const clear = () => {
      if (this.#pending === entry) this.#pending = null;
    };
    promise.then(clear, clear);
    return promise;
  }
}
