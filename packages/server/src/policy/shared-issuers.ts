import { requiredClaimPaths } from './cel-claim-references.ts';
import type { RuleMatch } from './match-rule.ts';

/**
 * Issuers that sign tokens for every customer of a platform (spec §4.5, table §10.9). A rule
 * under one of them must pin *our* tenant, or anyone on the platform could exchange tokens.
 * The claim lists are proposed from the providers' public OIDC docs, not from Anthropic.
 */
export interface SharedIssuer {
  readonly platform: string;
  /** Exact `iss` values (compared after normalising scheme/host case and a trailing slash). */
  readonly issuerUrls: readonly string[];
  /** Top-level claims whose exact value identifies the tenant. */
  readonly identityClaims: readonly string[];
  /** Extra nested claim paths a condition may pin (`claims.google.compute_engine.project_id`). */
  readonly identityClaimPaths: readonly (readonly string[])[];
  /** How a subject pins the tenant: a regex on the literal part, or only an exact subject. */
  readonly subjectPin: RegExp | 'exact_only';
  readonly subjectExample: string;
}

export const SHARED_ISSUERS: readonly SharedIssuer[] = [
  {
    platform: 'GitHub Actions',
    issuerUrls: ['https://token.actions.githubusercontent.com'],
    identityClaims: ['repository_owner', 'repository_owner_id', 'repository', 'repository_id', 'enterprise'],
    identityClaimPaths: [],
    subjectPin: /^repo:[^/*]+\//,
    subjectExample: 'repo:<owner>/<repo>:ref:refs/heads/main',
  },
  {
    platform: 'GitLab',
    issuerUrls: ['https://gitlab.com'],
    identityClaims: ['namespace_path', 'namespace_id', 'project_path', 'project_id'],
    identityClaimPaths: [],
    subjectPin: /^project_path:[^/*]+\//,
    subjectExample: 'project_path:<group>/<project>:ref_type:branch:ref:main',
  },
  {
    platform: 'Buildkite',
    issuerUrls: ['https://agent.buildkite.com'],
    identityClaims: ['organization_slug', 'organization_id'],
    identityClaimPaths: [],
    subjectPin: /^organization:[^:*]+:/,
    subjectExample: 'organization:<slug>:pipeline:<pipeline>:…',
  },
  {
    platform: 'Terraform Cloud',
    issuerUrls: ['https://app.terraform.io'],
    identityClaims: ['terraform_organization_name', 'terraform_organization_id'],
    identityClaimPaths: [],
    subjectPin: /^organization:[^:*]+:/,
    subjectExample: 'organization:<name>:project:<project>:workspace:<workspace>:run_phase:apply',
  },
  {
    platform: 'Google',
    issuerUrls: ['https://accounts.google.com', 'accounts.google.com'],
    identityClaims: ['sub', 'email', 'azp'],
    identityClaimPaths: [['google', 'compute_engine', 'project_id']],
    subjectPin: 'exact_only',
    subjectExample: '<numeric service-account unique ID>',
  },
];

/** The shared platform behind `issuerUrl`, or undefined for a tenant-specific issuer. */
export function findSharedIssuer(issuerUrl: string): SharedIssuer | undefined {
  const normalized = normalizeIssuerUrl(issuerUrl);
  return SHARED_ISSUERS.find((issuer) => issuer.issuerUrls.some((url) => normalizeIssuerUrl(url) === normalized));
}

/**
 * Spec §4.5: null when the rule pins the tenant (or the issuer is not shared), else a message
 * for a 400. Call on rule create/update and, for every live rule, when an issuer URL changes.
 */
export function checkTenantPinning(issuerUrl: string, match: RuleMatch): string | null {
  const issuer = findSharedIssuer(issuerUrl);
  if (issuer === undefined) return null;
  if (pinsByClaims(issuer, match.claims) || pinsBySubject(issuer, match.subject_prefix) || pinsByCondition(issuer, match.condition)) {
    return null;
  }
  const claimList = issuer.identityClaims.join(', ');
  return (
    `${issuer.platform} tokens from ${issuer.issuerUrls[0]} are issued to every ${issuer.platform} user, so the rule must pin your tenant: ` +
    `an exact claim (${claimList}), a subject_prefix that names your tenant (e.g. "${issuer.subjectExample}"), ` +
    `or a condition that requires one of those claims (e.g. claims.${issuer.identityClaims[0]} == "...")`
  );
}

function pinsByClaims(issuer: SharedIssuer, claims: RuleMatch['claims']): boolean {
  if (claims === null || claims === undefined) return false;
  return Object.entries(claims).some(([name, value]) => {
    if (typeof value !== 'string' || value === '') return false;
    if (issuer.identityClaims.includes(name)) return true;
    // An exact `sub` in claims is the same constraint as an exact subject_prefix.
    return name === 'sub' && subjectLiteralPins(issuer, value, false);
  });
}

function pinsBySubject(issuer: SharedIssuer, subjectPrefix: RuleMatch['subject_prefix']): boolean {
  if (typeof subjectPrefix !== 'string' || subjectPrefix === '') return false;
  const isPrefix = subjectPrefix.endsWith('*');
  return subjectLiteralPins(issuer, isPrefix ? subjectPrefix.slice(0, -1) : subjectPrefix, isPrefix);
}

function subjectLiteralPins(issuer: SharedIssuer, literal: string, isPrefix: boolean): boolean {
  if (literal === '') return false;
  if (issuer.subjectPin === 'exact_only') return !isPrefix;
  return issuer.subjectPin.test(literal);
}

function pinsByCondition(issuer: SharedIssuer, condition: RuleMatch['condition']): boolean {
  if (typeof condition !== 'string') return false;
  const pinningPaths = [...issuer.identityClaims.map((claim) => [claim]), ...issuer.identityClaimPaths];
  return requiredClaimPaths(condition).some((path) => pinningPaths.some((pin) => pin.length === path.length && pin.every((part, i) => part === path[i])));
}

function normalizeIssuerUrl(url: string): string {
  const trimmed = url.endsWith('/') ? url.slice(0, -1) : url;
  const schemeAndHost = /^([a-z][a-z0-9+.-]*:\/\/)?([^/]*)(.*)$/i.exec(trimmed);
  if (schemeAndHost === null) return trimmed;
  const [, scheme = '', host = '', rest = ''] = schemeAndHost;
  return `${scheme.toLowerCase()}${host.toLowerCase()}${rest}`;
}
