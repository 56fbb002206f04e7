/**
 * Domain objects as the store hands them out. Field names follow the wire format where they
 * are the same thing, so presenters stay trivial; timestamps are ISO-8601 UTC strings.
 */

export type OrganizationRole = 'developer' | 'admin';
export type WorkspaceRole = 'workspace_admin' | 'workspace_developer' | 'workspace_restricted_developer' | 'workspace_user';

export interface Audited {
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  created_by_actor_id: string | null;
  updated_by_actor_id: string | null;
  archived_by_actor_id: string | null;
}

export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

export interface DataResidency {
  allowed_inference_geos: Array<'global' | 'us'> | 'unrestricted';
  default_inference_geo: 'global' | 'us';
  workspace_geo: 'us';
}

export interface Workspace {
  id: string;
  organization_id: string;
  name: string;
  is_default: boolean;
  display_color: string;
  tags: Record<string, string>;
  data_residency: DataResidency;
  created_at: string;
  archived_at: string | null;
}

export interface ServiceAccount extends Audited {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  organization_role: OrganizationRole;
}

export interface Membership {
  service_account_id: string;
  workspace_id: string;
  workspace_role: WorkspaceRole;
  created_at: string;
  created_by_actor_id: string | null;
}

export type JwksConfig =
  | { type: 'discovery'; discovery_base?: string | null; ca_cert_pem?: string | null }
  | { type: 'explicit_url'; url: string; ca_cert_pem?: string | null }
  | { type: 'inline'; keys: Array<Record<string, unknown>> };

export interface PollStatus {
  consecutive_failures: number;
  last_fetched_at: string | null;
  next_poll_at: string | null;
}

export interface Issuer extends Audited {
  id: string;
  organization_id: string;
  name: string;
  issuer_url: string;
  jwks: JwksConfig;
  check_jti: boolean;
  max_jwt_lifetime_seconds: number;
  jwks_polling_disabled_at: string | null;
  poll_status: PollStatus | null;
}

export interface RuleMatch {
  audience?: string | null;
  subject_prefix?: string | null;
  claims?: Record<string, string> | null;
  condition?: string | null;
}

export interface Rule extends Audited {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  issuer_id: string;
  match: RuleMatch;
  target_service_account_id: string;
  oauth_scope: string;
  token_lifetime_seconds: number;
  applies_to_all_workspaces: boolean;
  /**
   * Explicit enablements. The create/update `workspace_id` input lands here too: OpenWIF has no
   * legacy single-workspace bindings (docs/api-deviations.md).
   */
  workspace_ids: string[];
}

export interface RuleWorkspace {
  federation_rule_id: string;
  workspace_id: string;
  created_at: string;
  created_by_actor_id: string | null;
}

/** What a minted token stands for. The token itself is never stored, only its SHA-256. */
export interface AccessTokenGrant {
  organization_id: string;
  workspace_id: string;
  service_account_id: string;
  scopes: string[];
  rule_id: string;
  issuer_id: string;
  subject: string;
  created_at: string;
  expires_at: string;
}

export type AuthOutcome = 'success' | 'denied';

export interface AuthEvent {
  id: string;
  organization_id: string;
  created_at: string;
  request_id: string;
  outcome: AuthOutcome;
  reason: string | null;
  detail: string | null;
  federation_rule_id: string;
  issuer_id: string | null;
  subject: string | null;
  jti: string | null;
  requested_service_account_id: string | null;
  service_account_id: string | null;
  workspace_id: string | null;
  /** Only claims of an assertion whose signature verified; never the raw assertion. */
  claims: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
}
