import { requiredClaimPaths } from './cel-claim-references.ts';
import type { RuleMatch } from './match-rule.ts';
import { findSharedIssuer } from './shared-issuers.ts';

/**
 * Advisory checks on a rule that is valid but probably broader or riskier than intended.
 * Warnings never block a write; the console and CLI show them. Codes are stable (documented in
 * docs/rule-safety.md) so tooling can filter on them.
 */
export const LINT_CODES = [
  'no_audience',
  'long_token_lifetime',
  'admin_scope',
  'entra_no_oid',
  'entra_no_tid',
  'entra_wildcard_subject',
  'kubernetes_wildcard_namespace',
  'github_wildcard_subject',
  'google_wildcard_subject',
  'subject_prefix_inner_asterisk',
  'claim_value_looks_like_glob',
] as const;

export type LintCode = (typeof LINT_CODES)[number];

export interface LintWarning {
  readonly code: LintCode;
  readonly severity: 'warning';
  readonly field: string;
  readonly message: string;
}

export interface LintInput {
  readonly issuerUrl: string;
  readonly match: RuleMatch;
  readonly tokenLifetimeSeconds: number;
  readonly oauthScope: string;
}

const LONG_TOKEN_LIFETIME_SECONDS = 3600;
const KUBERNETES_SUBJECT_PREFIX = 'system:serviceaccount:';

export function lintRule(input: LintInput): LintWarning[] {
  const { match } = input;
  const warnings: LintWarning[] = [];
  const warn = (code: LintCode, field: string, message: string): void => {
    warnings.push({ code, severity: 'warning', field, message });
  };
  const subject = typeof match.subject_prefix === 'string' ? match.subject_prefix : null;
  const isWildcardSubject = subject?.endsWith('*') === true;
  const entra = isEntraIssuer(input.issuerUrl);

  if (match.audience === null || match.audience === undefined) {
    warn(
      'no_audience',
      'match.audience',
      entra
        ? 'no audience set: Entra v2 tokens carry the audience app ID as aud, so this rule only matches if that equals the server default audience; set audience to your app ID'
        : 'no audience set: the server default audience applies; set it explicitly so tokens minted for other services never match',
    );
  }
  if (input.tokenLifetimeSeconds > LONG_TOKEN_LIFETIME_SECONDS) {
    warn(
      'long_token_lifetime',
      'token_lifetime_seconds',
      `minted tokens live ${input.tokenLifetimeSeconds} s; more than ${LONG_TOKEN_LIFETIME_SECONDS} s widens the window for a leaked token`,
    );
  }
  if (input.oauthScope.split(' ').includes('org:admin')) {
    warn('admin_scope', 'oauth_scope', 'the rule grants org:admin; every matching workload can administer the organization');
  }
  if (entra) {
    const pinned = pinnedClaimNames(match);
    if (!['oid', 'azp', 'appid'].some((claim) => pinned.has(claim)) && !(subject !== null && !isWildcardSubject)) {
      warn(
        'entra_no_oid',
        'match.claims',
        'no exact oid (or azp/appid) and no exact subject: every identity in the tenant that can get a token for this audience matches',
      );
    }
    if (!pinned.has('tid')) {
      warn('entra_no_tid', 'match.claims', 'tid is not pinned; add claims.tid so the rule stays tied to your tenant');
    }
    if (isWildcardSubject) {
      warn(
        'entra_wildcard_subject',
        'match.subject_prefix',
        'Entra subjects are object IDs with no meaningful prefix; use the exact object ID (or claims.oid)',
      );
    }
  }
  if (subject?.startsWith(KUBERNETES_SUBJECT_PREFIX) === true && !pinsKubernetesNamespace(subject)) {
    warn(
      'kubernetes_wildcard_namespace',
      'match.subject_prefix',
      'the subject prefix does not end the namespace with ":", so service accounts in other namespaces (e.g. "prod-evil") also match',
    );
  }
  const shared = findSharedIssuer(input.issuerUrl);
  if (shared?.platform === 'GitHub Actions' && isWildcardSubject) {
    warn(
      'github_wildcard_subject',
      'match.subject_prefix',
      'a wildcard GitHub subject also matches pull_request runs, including runs from forks; prefer an exact ref or environment',
    );
  }
  if (shared?.platform === 'Google' && isWildcardSubject) {
    warn('google_wildcard_subject', 'match.subject_prefix', 'Google subjects are numeric IDs with no meaningful prefix; use the exact ID');
  }
  if (subject !== null && subject.slice(0, -1).includes('*')) {
    warn('subject_prefix_inner_asterisk', 'match.subject_prefix', 'only a trailing * is a wildcard; any other * is matched literally');
  }
  for (const [name, value] of Object.entries(match.claims ?? {})) {
    if (typeof value === 'string' && value.includes('*')) {
      warn('claim_value_looks_like_glob', `match.claims.${name}`, 'claims values are matched exactly; * is not a wildcard here (use condition for patterns)');
    }
  }
  return warnings;
}

/** v2 `https://login.microsoftonline.com/<tid>/v2.0` and v1 `https://sts.windows.net/<tid>/`. */
export function isEntraIssuer(issuerUrl: string): boolean {
  let host: string;
  try {
    host = new URL(issuerUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'login.microsoftonline.com' || host === 'sts.windows.net';
}

/** Claims the rule requires by exact value, via `claims` or a conjunct of the condition. */
function pinnedClaimNames(match: RuleMatch): Set<string> {
  const names = new Set(Object.keys(match.claims ?? {}));
  if (typeof match.condition === 'string') {
    for (const path of requiredClaimPaths(match.condition)) if (path.length === 1 && path[0] !== undefined) names.add(path[0]);
  }
  return names;
}

/** `system:serviceaccount:<ns>:<sa>` or `…:<ns>:*` pin the namespace; `…:prod*` or `…:*` don't. */
function pinsKubernetesNamespace(subject: string): boolean {
  const rest = subject.slice(KUBERNETES_SUBJECT_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon > 0 && !rest.slice(0, colon).includes('*');
}
