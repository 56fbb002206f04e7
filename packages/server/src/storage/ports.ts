import type {
  AccessTokenGrant,
  AuthEvent,
  AuthOutcome,
  Issuer,
  Membership,
  Organization,
  PollStatus,
  Rule,
  RuleWorkspace,
  ServiceAccount,
  Workspace,
} from '../domain/types.ts';
import type { RateLimiter, RateLimits } from '../gateway/rate-limiter.ts';

/**
 * The storage ports. Domain code (exchange, admin, trust) sees only these interfaces and domain
 * types: no SQL, Kysely rows or Redis types cross this line. Every method is safe for
 * concurrent use; every write is durable when its promise resolves.
 */

/** A page of a newest-first list, with an opaque cursor for the next page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorQuery {
  limit: number;
  /** Opaque cursor from a previous page; a malformed one makes the store throw InvalidCursorError. */
  cursor: string | null;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** A backing service (database, Redis) did not answer: callers fail closed with a 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** A live object of the same type already has this name in the organization. */
export class NameConflictError extends Error {
  override name = 'NameConflictError';
}

export interface OrganizationStore {
  get(id: string): Promise<Organization | null>;
  /** The organization this installation serves, once created. */
  installed(): Promise<Organization | null>;
  /**
   * Creates the installation's organization and its default workspace atomically, unless
   * another instance already did: then returns that one. Safe for concurrent first starts.
   */
  install(org: Organization, defaultWorkspace: Workspace): Promise<Organization>;
}

export interface AdminCredential {
  organization_id: string;
  actor_id: string;
  label: string;
}

export interface AdminCredentialStore {
  findByHash(tokenHash: string): Promise<AdminCredential | null>;
  /** Idempotent: inserting an existing hash is a no-op. */
  insert(tokenHash: string, credential: AdminCredential, createdAt: string): Promise<void>;
  /** Makes `tokenHash` the actor's only credential, atomically: rotating it revokes the old ones. */
  replaceForActor(tokenHash: string, credential: AdminCredential, createdAt: string): Promise<void>;
  count(organizationId: string): Promise<number>;
}

export interface WorkspaceListQuery {
  limit: number;
  afterId: string | null;
  beforeId: string | null;
  includeArchived: boolean;
  includeDefault: boolean;
  ids: string[] | null;
}

export interface WorkspaceStore {
  get(organizationId: string, id: string): Promise<Workspace | null>;
  getDefault(organizationId: string): Promise<Workspace>;
  /** The Page envelope (spec §2.4): oldest first, `after_id` / `before_id`. */
  list(organizationId: string, query: WorkspaceListQuery): Promise<{ items: Workspace[]; hasMore: boolean }>;
  insert(workspace: Workspace): Promise<void>;
  update(workspace: Workspace): Promise<void>;
}

export interface ServiceAccountStore {
  get(organizationId: string, id: string): Promise<ServiceAccount | null>;
  list(organizationId: string, query: CursorQuery & { includeArchived: boolean }): Promise<CursorPage<ServiceAccount>>;
  /** Throws NameConflictError when a live account has the name. */
  insert(account: ServiceAccount): Promise<void>;
  update(account: ServiceAccount): Promise<void>;
}

export interface MembershipStore {
  get(serviceAccountId: string, workspaceId: string): Promise<Membership | null>;
  upsert(membership: Membership): Promise<Membership>;
  /** Returns whether a row existed. */
  delete(serviceAccountId: string, workspaceId: string): Promise<boolean>;
  listForServiceAccount(serviceAccountId: string, query: CursorQuery): Promise<CursorPage<Membership>>;
  /** Explicit memberships of live service accounts only. */
  listForWorkspace(workspaceId: string, query: CursorQuery): Promise<CursorPage<Membership>>;
}

export interface IssuerStore {
  get(organizationId: string, id: string): Promise<Issuer | null>;
  list(organizationId: string, query: CursorQuery & { includeArchived: boolean }): Promise<CursorPage<Issuer>>;
  insert(issuer: Issuer): Promise<void>;
  update(issuer: Issuer): Promise<void>;
  /** Live (non-archived) issuers with a remote key source, across organizations: the poller's work list. */
  listPollable(): Promise<Issuer[]>;
  recordPoll(id: string, status: PollStatus, pollingDisabledAt: string | null): Promise<void>;
}

export interface RuleListQuery extends CursorQuery {
  includeArchived: boolean;
  issuerId: string | null;
}

export interface RuleStore {
  get(organizationId: string, id: string): Promise<Rule | null>;
  /** Looks a rule up by ID alone; the exchange checks the organization itself so it can stay opaque. */
  getById(id: string): Promise<Rule | null>;
  list(organizationId: string, query: RuleListQuery): Promise<CursorPage<Rule>>;
  /** Inserts the rule and its `workspace_ids` enablements in one transaction. */
  insert(rule: Rule): Promise<void>;
  /** Replaces the rule row and its enablement set in one transaction. */
  update(rule: Rule): Promise<void>;
  countLive(where: { issuerId?: string; targetServiceAccountId?: string }): Promise<number>;
  listLive(where: { issuerId?: string; targetServiceAccountId?: string }): Promise<Rule[]>;
  listWorkspaces(ruleId: string): Promise<RuleWorkspace[]>;
  /** Idempotent: returns the existing enablement when there is one. */
  enableWorkspace(enablement: RuleWorkspace): Promise<RuleWorkspace>;
  disableWorkspace(ruleId: string, workspaceId: string): Promise<void>;
}

/**
 * A counter that database triggers increment, in the same transaction, on every change to the
 * configuration an exchange or a gateway call depends on. Unchanged value: nothing changed.
 */
export interface ConfigGenerationStore {
  current(): Promise<number>;
}

export interface TokenStore {
  find(tokenHash: string): Promise<AccessTokenGrant | null>;
}

/** An external JTI store (Redis). Without one, the ledger claims JTIs in the database. */
export interface ReplayStore {
  /**
   * Records `(issuerId, jti)` until `expiresAt`. Returns false when it was already recorded.
   * Atomic across instances: two concurrent claims of the same pair never both return true.
   * Throws StoreUnavailableError when it cannot answer.
   */
  claim(issuerId: string, jti: string, expiresAt: string): Promise<boolean>;
}

export interface MintRecord {
  /** The assertion's jti to claim, or null when the issuer does not check jti or there is none. */
  replay: { issuerId: string; jti: string; expiresAt: string } | null;
  tokenHash: string;
  grant: AccessTokenGrant;
  event: AuthEvent;
}

export interface ExchangeLedger {
  /**
   * Claims the jti, stores the token hash and records the success event, all or nothing, and
   * durably before resolving. Returns false, having written nothing, when the jti was already
   * claimed (atomic across instances).
   */
  recordMint(mint: MintRecord): Promise<boolean>;
}

export interface AuthEventQuery extends CursorQuery {
  ruleId: string | null;
  outcome: AuthOutcome | null;
  reason: string | null;
  issuerId?: string | null;
  /** Inclusive lower and exclusive upper bound on `created_at` (ISO-8601). */
  createdAfter?: string | null;
  createdBefore?: string | null;
}

export interface AuthEventStore {
  record(event: AuthEvent): Promise<void>;
  list(organizationId: string, query: AuthEventQuery): Promise<CursorPage<AuthEvent>>;
  get(organizationId: string, id: string): Promise<AuthEvent | null>;
  /** Retention: removes events created before `cutoff`; returns how many. */
  deleteOlderThan(cutoff: string): Promise<number>;
}

/** A workspace's credential for the upstream API, sealed by the gateway before it gets here. */
export interface UpstreamCredential {
  organization_id: string;
  workspace_id: string;
  /** Opaque ciphertext (the store never sees the plain key). */
  sealed: string;
  created_at: string;
  updated_at: string;
  updated_by_actor_id: string | null;
}

export interface UpstreamCredentialStore {
  get(organizationId: string, workspaceId: string): Promise<UpstreamCredential | null>;
  put(credential: UpstreamCredential): Promise<void>;
  /** Returns whether one existed. */
  delete(organizationId: string, workspaceId: string): Promise<boolean>;
  /** Workspace IDs that have one (never the credentials). */
  listWorkspaceIds(organizationId: string): Promise<string[]>;
}

export interface ConsoleSession {
  organization_id: string;
  actor_id: string;
  /** `session`: a signed-in browser. `login_link`: a one-time link that becomes a session. */
  kind: 'session' | 'login_link';
  created_at: string;
  expires_at: string;
}

export interface ConsoleSessionStore {
  insert(idHash: string, session: ConsoleSession): Promise<void>;
  find(idHash: string): Promise<ConsoleSession | null>;
  /** Atomically removes and returns it: a login link works once, even under concurrent use. */
  take(idHash: string): Promise<ConsoleSession | null>;
  delete(idHash: string): Promise<void>;
}

export interface Stores {
  organizations: OrganizationStore;
  adminCredentials: AdminCredentialStore;
  workspaces: WorkspaceStore;
  serviceAccounts: ServiceAccountStore;
  memberships: MembershipStore;
  issuers: IssuerStore;
  rules: RuleStore;
  tokens: TokenStore;
  ledger: ExchangeLedger;
  authEvents: AuthEventStore;
  upstreamCredentials: UpstreamCredentialStore;
  consoleSessions: ConsoleSessionStore;
  configGeneration: ConfigGenerationStore;
  /** With Redis: the gateway's limits shared by all instances. Without, each instance counts its own. */
  sharedRateLimiter?: (limits: RateLimits) => RateLimiter;
  /** Deletes expired tokens, JTI records and console sessions; returns how many rows went. */
  sweep(now: string): Promise<number>;
  /** Each backing service and whether it answers; used by /readyz. */
  health(): Promise<Record<string, 'ok' | 'unreachable'>>;
  close(): Promise<void>;
}
