/**
 * Every limit and default of the JWKS subsystem in one place, so docs/jwks.md has a single
 * source to mirror. Each value can be overridden through the options of the component that
 * uses it.
 */
export const JWKS_DEFAULTS = {
  /** Whole-request deadline for one outbound GET (connect, TLS, headers and body). */
  fetchTimeoutMs: 5_000,
  /** Largest discovery or JWKS document accepted. */
  maxResponseBytes: 1024 * 1024,
  /** Most keys a JWKS document may hold. */
  maxKeysPerSet: 100,
  /** Longest `kid` kept (assertions with longer ones are refused before any lookup). */
  maxKidLength: 256,
  /** Smallest RSA modulus accepted. */
  minRsaBits: 2048,
  /** At most one request-triggered fetch per issuer in this window (unknown kid, cold or stale cache). */
  onDemandCooldownMs: 30_000,
  /** Cached keys older than this get a background refresh when a request uses them. */
  maxAgeMs: 5 * 60_000,
  /** Keys that vanish from the issuer's set stay trusted this long (in-flight rotations). */
  vanishedKeyGraceMs: 10 * 60_000,
  /** Most vanished keys kept per issuer during their grace period. */
  maxVanishedKeys: 100,
  /** Keys not confirmed by a successful fetch for this long are no longer trusted. */
  staleLimitMs: 24 * 60 * 60_000,
  /** Most issuers whose keys are held in memory (least recently used evicted first). */
  maxCachedIssuers: 10_000,
  /** Poll interval of a healthy issuer. */
  pollIntervalMs: 60_000,
  /** Backoff ceiling for a failing issuer. */
  maxBackoffMs: 60 * 60_000,
  /** Polling pauses after this many consecutive failures... */
  pauseAfterFailures: 50,
  /** ...or after failing continuously for this long (needs at least 2 consecutive failures). */
  pauseAfterFailingMs: 24 * 60 * 60_000,
  /** How often the poller reads the issuer table to find due issuers. */
  pollerTickMs: 5_000,
  /** Most fetches the poller runs at once. */
  pollerConcurrency: 4,
} as const;
