export interface ExpiringValue<T> {
  value: T;
  /** Epoch ms after which the value must not be served; `null` = do not cache. */
  expiresAtMs: number | null;
}

/**
 * Memoises an expensive fetch until `refreshMarginMs` before its expiry, with
 * one shared in-flight fetch. State lives in the returned closure: one cache
 * per provider instance, never per module.
 */
export function cacheUntilExpiry<T>(fetchValue: () => Promise<ExpiringValue<T>>, options: { now: () => number; refreshMarginMs: number }): () => Promise<T> {
  let cached: ExpiringValue<T> | null = null;
  let pending: Promise<T> | null = null;
  return () => {
    if (cached !== null && cached.expiresAtMs !== null && options.now() < cached.expiresAtMs - options.refreshMarginMs) {
      return Promise.resolve(cached.value);
    }
    if (pending !== null) return pending;
    const started = fetchValue().then((fresh) => {
      cached = fresh;
      return fresh.value;
    });
    pending = started;
    const clear = () => {
      if (pending === started) pending = null;
    };
    started.then(clear, clear);
    return started;
  };
}
