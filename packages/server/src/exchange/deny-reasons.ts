import { OutcomeError } from '../domain/outcome-error.ts';
import { printable } from '../domain/printable.ts';

/**
 * Every reason an exchange can be denied, in pipeline order (spec §5.4). The caller only ever
 * sees the opaque 401; the reason and detail go to the authentication event. docs/reason-codes.md
 * lists exactly these codes (a test keeps the two in step).
 */
export const DENY_REASONS = {
  rule_archived: { step: 'rule', description: 'The federation rule is archived.' },
  issuer_archived: { step: 'rule', description: "The rule's federation issuer is archived." },
  assertion_malformed: { step: 'header', description: 'The assertion is not a compact JWS with a JSON header and payload.' },
  alg_not_allowed: {
    step: 'header',
    description: 'The JWT alg is not an asymmetric algorithm (RS/PS/ES 256/384/512), or the header is unsupported (crit, nested JWT).',
  },
  kid_missing: { step: 'header', description: 'The JWT header has no kid.' },
  issuer_mismatch: { step: 'issuer', description: "The JWT iss is not byte-for-byte the issuer's issuer_url." },
  kid_not_found: {
    step: 'signature',
    description: "No key in the issuer's key set has this kid (after one rate-limited refresh), or it cannot verify this alg.",
  },
  jwks_unavailable: { step: 'signature', description: "The issuer's keys could not be fetched, or were last confirmed longer ago than the stale limit." },
  signature_invalid: { step: 'signature', description: 'The signature does not verify with the key named by kid.' },
  sub_missing: { step: 'claims', description: 'The JWT has no string sub claim.' },
  exp_missing: { step: 'claims', description: 'The JWT has no numeric exp claim.' },
  expired: { step: 'claims', description: 'exp is in the past (30 s leeway).' },
  iat_missing: { step: 'claims', description: 'The JWT has no numeric iat claim.' },
  iat_in_future: { step: 'claims', description: 'iat is in the future (30 s leeway).' },
  not_yet_valid: { step: 'claims', description: 'nbf is in the future (30 s leeway), or not a number.' },
  lifetime_exceeded: { step: 'claims', description: "exp − iat is larger than the issuer's max_jwt_lifetime_seconds (or exp < iat)." },
  match_audience: { step: 'match', description: "aud does not contain the rule's audience (or the server's default audience when the rule sets none)." },
  match_subject_prefix: { step: 'match', description: "sub does not match the rule's subject_prefix." },
  match_claims: { step: 'match', description: "A claim required by the rule's claims map is absent, not a string, or different." },
  match_condition: { step: 'match', description: "The rule's CEL condition evaluated to false or failed at run time." },
  service_account_archived: { step: 'target', description: 'The target service account is archived or gone.' },
  service_account_mismatch: { step: 'target', description: "The request's service_account_id is not the rule's target." },
  service_account_role: { step: 'target', description: 'The rule grants org:admin but the service account is no longer an admin.' },
  workspace_not_found: { step: 'workspace', description: 'The requested workspace does not exist in the organization or is archived.' },
  workspace_id_required: { step: 'workspace', description: 'The rule is enabled for several workspaces and the request named none.' },
  workspace_not_enabled: { step: 'workspace', description: 'The rule is not enabled for the requested workspace.' },
  workspace_membership: { step: 'workspace', description: 'The service account is not a member of the resolved workspace.' },
  jti_reused: { step: 'replay', description: 'This jti was already exchanged for this issuer.' },
} as const;

export type DenyReason = keyof typeof DENY_REASONS;

const DETAIL_MAX = 300;

/** A denial with its stable reason. `detail` may echo untrusted input, so it is sanitised. */
export class ExchangeDenied extends OutcomeError {
  override name = 'ExchangeDenied';
  readonly detail: string;
  constructor(
    readonly reason: DenyReason,
    detail?: string,
  ) {
    const clean = printable(detail ?? DENY_REASONS[reason].description, DETAIL_MAX);
    super(clean);
    this.detail = clean;
  }
}
