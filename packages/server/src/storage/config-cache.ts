import type { IssuerStore, MembershipStore, RuleStore, ServiceAccountStore, Stores, TokenStore, UpstreamCredentialStore, WorkspaceStore } from './ports.ts';

/** The reads that decide an exchange or a gateway call. `Stores` has them all; a ConfigCache view serves them from memory. */
export interface ConfigReads {
  rules: Pick<RuleStore, 'getById'>;
  issuers: Pick<IssuerStore, 'get'>;
  serviceAccounts: Pick<ServiceAccountStore, 'get'>;
  workspaces: Pick<WorkspaceStore, 'get' | 'getDefault'>;
  memberships: Pick<MembershipStore, 'get'>;
  tokens: TokenStore;
  upstreamCredentials: Pick<UpstreamCredentialStore, 'get'>;
}

const MAX_ENTRIES = 10_000;

/**
 * Configuration reads for the hot paths (exchange, gateway), from memory, never stale.
 *
 * Each view starts with a read of the configuration generation (shared by concurrent views,
 * `readGeneration`), a counter that database triggers bump in the same transaction as every
 * change to workspaces, service accounts, memberships, issuers, rules, rule enablements and
 * upstream credentials, and every update or deletion of a minted token (migration 0005). When
 * it has moved, all cached objects are dropped. So one small query replaces up to six, and a
 * change committed on any instance is seen by the next request on every instance, exactly as
 * without the cache. Token grants are kept by digest; their expiry is still checked on every
 * call. Upstream credentials are kept sealed, as stored, and opened per call.
 */
export class ConfigCache {
  private generation: number | null = null;
  private readonly entries = new Map<string, unknown>();
  /** The generation read in flight, and the one that starts when it ends (see `readGeneration`). */
  private reading: Promise<number> | null = null;
  private nextReading: Promise<number> | null = null;

  constructor(private readonly stores: Stores) {}

  async view(): Promise<ConfigReads> {
    const generation = await this.readGeneration();
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
    const { stores } = this;
    const read = <T>(key: string[], load: () => Promise<T>) => this.read(generation, key.join('\u0000'), load, true);
    // Rule IDs and token digests come straight from callers: an absent one is not kept, so a
    // flood of made-up values cannot push out the real entries.
    const readUntrusted = <T>(key: string[], load: () => Promise<T>) => this.read(generation, key.join('\u0000'), load, false);
    return {
      rules: { getById: (id) => readUntrusted(['rule', id], () => stores.rules.getById(id)) },
      issuers: { get: (org, id) => read(['issuer', org, id], () => stores.issuers.get(org, id)) },
      serviceAccounts: { get: (org, id) => read(['account', org, id], () => stores.serviceAccounts.get(org, id)) },
      workspaces: {
        get: (org, id) => read(['workspace', org, id], () => stores.workspaces.get(org, id)),
        getDefault: (org) => read(['default workspace', org], () => stores.workspaces.getDefault(org)),
      },
      memberships: { get: (account, workspace) => read(['membership', account, workspace], () => stores.memberships.get(account, workspace)) },
      tokens: { find: (tokenHash) => readUntrusted(['grant', tokenHash], () => stores.tokens.find(tokenHash)) },
      upstreamCredentials: { get: (org, workspace) => read(['upstream credential', org, workspace], () => stores.upstreamCredentials.get(org, workspace)) },
    };
  }

  /**
   * Concurrent views share generation reads: on PostgreSQL one query per exchange was one round
   * trip each, and a backend's CPU, on the server's hot path. A read already in flight may have
   * started before this caller arrived and miss a change committed just before it did, so a
   * caller shares only the next read, which starts when the current one ends, with everyone
   * else who arrives until then: every view still sees every change committed before it began.
   */
  private readGeneration(): Promise<number> {
    if (this.reading === null) {
      const read = this.stores.configGeneration.current().finally(() => {
        this.reading = null;
      });
      this.reading = read;
      return read;
    }
    this.nextReading ??= this.reading
      .catch(() => undefined)
      .then(() => {
        this.nextReading = null;
        return this.readGeneration();
      });
    return this.nextReading;
  }

  private async read<T>(generation: number, key: string, load: () => Promise<T>, keepAbsent: boolean): Promise<T> {
    if (generation === this.generation && this.entries.has(key)) return this.entries.get(key) as T;
    const value = await load();
    // A view that started before the last change must not file what it read under the new generation.
    if ((value !== null || keepAbsent) && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, deepFreeze(value));
    }
    return value;
  }
}

/** Cached objects are shared by concurrent requests: none of them may change one. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
