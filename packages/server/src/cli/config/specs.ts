/**
 * The declarative shapes of `openwif.yaml`: what the file says and what the server's state is
 * normalized into, so both compare field by field. References are by name, never by ID.
 */

export type JwksSpec =
  | { type: 'discovery'; discovery_base?: string; ca_cert_pem?: string }
  | { type: 'explicit_url'; url: string; ca_cert_pem?: string }
  | { type: 'inline'; keys: Record<string, unknown>[] };

export interface IssuerSpec {
  name: string;
  issuer_url: string;
  jwks: JwksSpec;
  check_jti: boolean;
  max_jwt_lifetime_seconds: number;
}

export type MembershipRole = 'workspace_user' | 'workspace_developer' | 'workspace_restricted_developer' | 'workspace_admin';

export interface MembershipSpec {
  /** Workspace name (or wrkspc_ ID). */
  workspace: string;
  role: MembershipRole;
}

export interface ServiceAccountSpec {
  name: string;
  description: string | null;
  organization_role: 'developer' | 'admin';
  /** Explicit memberships; null when the file leaves them unmanaged (key omitted). */
  workspaces: MembershipSpec[] | null;
}

export interface MatchSpec {
  subject_prefix?: string;
  audience?: string;
  claims?: Record<string, string>;
  condition?: string;
}

export interface RuleSpec {
  name: string;
  issuer: string;
  description: string | null;
  match: MatchSpec;
  service_account: string;
  oauth_scope: string;
  token_lifetime_seconds: number;
  applies_to_all_workspaces: boolean;
  /** Explicit enablements, by workspace name (or wrkspc_ ID). */
  workspaces: string[];
}

export interface FederationSpec {
  issuers: IssuerSpec[];
  service_accounts: ServiceAccountSpec[];
  rules: RuleSpec[];
}

/** API defaults, applied to omitted fields so the file is the whole truth for what it declares. */
export const SPEC_DEFAULTS = {
  check_jti: true,
  max_jwt_lifetime_seconds: 3600,
  organization_role: 'developer',
  token_lifetime_seconds: 3600,
} as const;

/** The file form of a spec (rule target nested, empty optional fields left out): used by export. */
export function toFileDocument(spec: FederationSpec): Record<string, unknown> {
  return {
    issuers: spec.issuers.map((issuer) => ({ ...issuer })),
    service_accounts: spec.service_accounts.map(({ workspaces, ...rest }) => ({
      ...rest,
      ...(workspaces === null ? {} : { workspaces: workspaces.map((m) => ({ workspace: m.workspace, role: m.role })) }),
    })),
    rules: spec.rules.map(({ service_account, ...rest }) => ({
      name: rest.name,
      issuer: rest.issuer,
      description: rest.description,
      match: rest.match,
      target: { service_account },
      oauth_scope: rest.oauth_scope,
      token_lifetime_seconds: rest.token_lifetime_seconds,
      applies_to_all_workspaces: rest.applies_to_all_workspaces,
      workspaces: rest.workspaces,
    })),
  };
}

/** Key-order-independent JSON, for comparing nested values such as jwks and match. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
