import { ExchangeDenied } from '../../exchange/deny-reasons.ts';
import { verifyAssertion } from '../../exchange/verify-assertion.ts';
import type { Issuer } from '../../domain/types.ts';
import { checkAudience } from '../../policy/match-rule.ts';
import { IssuerKeyCache } from '../../trust/key-resolver.ts';
import { OutboundPolicy } from '../../trust/outbound-policy.ts';

/**
 * Verifies a JWT with the exchange's own verifier (`verifyAssertion`: algorithm policy, `kid`,
 * byte-exact `iss`, keys through discovery or a JWKS URL, signature, `exp`/`nbf`/`iat` with 30 s
 * leeway, lifetime), then the audience as a rule would. A failure is named by the server's own
 * reason code, the one the exchange would record (docs/reason-codes.md).
 */

export type VerifyResult =
  { ok: true; claims: Record<string, unknown>; subject: string; alg: string; kid: string } | { ok: false; check: string; message: string };

export interface VerifyOptions {
  issuer: string;
  audience?: string;
  /** Skip discovery and use this JWKS URL. */
  jwksUri?: string;
  /** The issuer's max_jwt_lifetime_seconds (the server's default when omitted). */
  maxLifetimeSeconds?: number;
  now: Date;
}

const DEFAULT_MAX_LIFETIME_SECONDS = 3600;

export async function verifyToken(token: string, options: VerifyOptions): Promise<VerifyResult> {
  const at = options.now.toISOString();
  const issuer: Issuer = {
    id: 'cli',
    organization_id: 'cli',
    name: 'cli',
    issuer_url: options.issuer,
    jwks: options.jwksUri === undefined ? { type: 'discovery' } : { type: 'explicit_url', url: options.jwksUri },
    check_jti: false,
    max_jwt_lifetime_seconds: options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
    jwks_polling_disabled_at: null,
    poll_status: null,
    created_at: at,
    updated_at: at,
    archived_at: null,
    created_by_actor_id: null,
    updated_by_actor_id: null,
    archived_by_actor_id: null,
  };
  // The operator named the issuer on their own machine: its host (and any address) may be dialled,
  // unlike a server's, which refuses private addresses unless OPENWIF_OUTBOUND_ALLOW says so.
  const hosts = [options.issuer, options.jwksUri].flatMap((url) => (url !== undefined && URL.canParse(url) ? [new URL(url).hostname] : []));
  const keys = new IssuerKeyCache({ policy: new OutboundPolicy([...hosts, '0.0.0.0/0', '::/0']), now: () => options.now.getTime() });
  try {
    const verified = await verifyAssertion(token, issuer, keys, Math.floor(options.now.getTime() / 1000));
    if (options.audience !== undefined) {
      const audience = checkAudience(verified.claims, options.audience, []);
      if (!audience.ok) return { ok: false, check: 'match_audience', message: audience.hint };
    }
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { alg: string; kid: string };
    return { ok: true, claims: verified.claims, subject: verified.subject, alg: header.alg, kid: header.kid };
  } catch (err) {
    if (err instanceof ExchangeDenied) return { ok: false, check: err.reason, message: err.detail };
    throw err;
  }
}
