import { newId } from '../domain/ids.ts';
import { scopeList } from '../domain/scopes.ts';
import type { AuthEvent, Rule } from '../domain/types.ts';
import { unauthorized } from '../http/errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ConfigCache } from '../storage/config-cache.ts';
import type { Stores } from '../storage/ports.ts';
import { newAccessToken, tokenLifetimeSeconds } from '../tokens/mint-token.ts';
import type { KeyResolver } from '../trust/key-resolver.ts';
import { ExchangeDenied, type DenyReason } from './deny-reasons.ts';
import type { ExchangeRequest } from './parse-request.ts';
import { resolveTarget } from './resolve-target.ts';
import { CLOCK_LEEWAY_SECONDS, verifyAssertion, type VerifiedAssertion } from './verify-assertion.ts';

/** The rule's match block, compiled once per rule version (see policy/). */
export interface RuleMatching {
  check(rule: Rule, claims: Record<string, unknown>): Extract<DenyReason, `match_${string}`> | null;
}

export interface ExchangeDeps {
  stores: Stores;
  config: ConfigCache;
  keys: KeyResolver;
  matching: RuleMatching;
  metrics: Metrics;
  now: () => Date;
}

export interface ExchangeContext {
  requestId: string;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface ExchangeResult {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Thrown for every denial: the one opaque answer callers get (spec §5.3). */
export const authenticationFailed = () => unauthorized('Authentication failed');

/**
 * POST /v1/oauth/token after request parsing, in the order of spec §5.4. Every outcome past
 * rule resolution is recorded as an authentication event. The replay check runs last, in the
 * same atomic write as the token and its success event, so a denied attempt does not burn its
 * `jti` and a replay mints nothing.
 */
export async function runExchange(req: ExchangeRequest, ctx: ExchangeContext, deps: ExchangeDeps): Promise<ExchangeResult> {
  const { stores } = deps;
  const config = await deps.config.view();
  const rule = await config.rules.getById(req.federationRuleId);
  // Unknown rule and rule-of-another-org are indistinguishable, and leave no event (no org to file it under).
  if (!rule || rule.organization_id !== req.organizationId) throw authenticationFailed();

  // One clock reading for the whole exchange: time checks, token lifetime and the event agree.
  const now = deps.now();
  const event = startEvent(rule, req, ctx, now);
  try {
    if (rule.archived_at !== null) throw new ExchangeDenied('rule_archived');
    const issuer = await config.issuers.get(rule.organization_id, rule.issuer_id);
    if (!issuer || issuer.archived_at !== null) throw new ExchangeDenied('issuer_archived');
    event.issuer_id = issuer.id;

    const nowSeconds = Math.floor(now.getTime() / 1000);
    const token = await verifyAssertion(req.assertion, issuer, deps.keys, nowSeconds);
    recordVerified(event, token);

    const mismatch = deps.matching.check(rule, token.claims);
    if (mismatch) throw new ExchangeDenied(mismatch);

    const target = await resolveTarget(rule, req, config);
    event.service_account_id = target.serviceAccount.id;
    event.workspace_id = target.workspace.id;

    const lifetime = tokenLifetimeSeconds(rule.token_lifetime_seconds, token.exp, nowSeconds);
    const minted = newAccessToken(now, lifetime);
    event.outcome = 'success';
    const recorded = await stores.ledger.recordMint({
      replay:
        issuer.check_jti && token.jti !== null
          ? { issuerId: issuer.id, jti: token.jti, expiresAt: new Date((token.exp + CLOCK_LEEWAY_SECONDS) * 1000).toISOString() }
          : null,
      tokenHash: minted.tokenHash,
      grant: {
        organization_id: rule.organization_id,
        workspace_id: target.workspace.id,
        service_account_id: target.serviceAccount.id,
        scopes: scopeList(rule.oauth_scope),
        rule_id: rule.id,
        issuer_id: issuer.id,
        subject: token.subject,
        created_at: minted.createdAt,
        expires_at: minted.expiresAt,
      },
      event,
    });
    if (!recorded) {
      event.outcome = 'denied';
      throw new ExchangeDenied('jti_reused');
    }
    deps.metrics.exchanges.inc({ outcome: 'success', reason: '' });
    return { access_token: minted.accessToken, token_type: 'Bearer', expires_in: lifetime, scope: rule.oauth_scope };
  } catch (err) {
    if (!(err instanceof ExchangeDenied)) throw err;
    event.reason = err.reason;
    event.detail = err.detail;
    await stores.authEvents.record(event);
    deps.metrics.exchanges.inc({ outcome: 'denied', reason: err.reason });
    throw authenticationFailed();
  }
}

function startEvent(rule: Rule, req: ExchangeRequest, ctx: ExchangeContext, now: Date): AuthEvent {
  return {
    id: newId('event'),
    organization_id: rule.organization_id,
    created_at: now.toISOString(),
    request_id: ctx.requestId,
    outcome: 'denied',
    reason: null,
    detail: null,
    federation_rule_id: rule.id,
    issuer_id: rule.issuer_id,
    subject: null,
    jti: null,
    requested_service_account_id: req.serviceAccountId,
    service_account_id: null,
    workspace_id: null,
    claims: null,
    ip_address: ctx.ipAddress,
    user_agent: ctx.userAgent?.slice(0, 512) ?? null,
  };
}

function recordVerified(event: AuthEvent, token: VerifiedAssertion): void {
  event.subject = token.subject.slice(0, 1024);
  event.jti = token.jti?.slice(0, 256) ?? null;
  event.claims = token.claims;
}
