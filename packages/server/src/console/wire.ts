/**
 * The Admin API's wire objects, reduced to the fields the console reads (full shapes: the
 * SDK's resources/organization/** .d.ts files and docs/diagnostics.md).
 */

export interface CursorList<T> {
  data: T[];
  next_page: string | null;
}

export interface WorkspaceList {
  data: WorkspaceWire[];
  has_more: boolean;
}

export interface WorkspaceWire {
  id: string;
  name: string;
  display_color: string;
  created_at: string;
  archived_at: string | null;
}

export interface ServiceAccountWire {
  id: string;
  name: string;
  description: string | null;
  organization_role: 'developer' | 'admin';
  created_at: string;
  archived_at: string | null;
}

export interface MembershipWire {
  workspace_id: string;
  workspace_role: string;
  implicit: boolean;
}

export interface PollStatusWire {
  consecutive_failures: number;
  last_fetched_at: string | null;
  next_poll_at: string | null;
}

export type JwksWire =
  | { type: 'discovery'; discovery_base: string | null; ca_cert_pem: string | null }
  | { type: 'explicit_url'; url: string; ca_cert_pem: string | null }
  | { type: 'inline'; keys: Array<Record<string, unknown>> };

export interface IssuerWire {
  id: string;
  name: string;
  issuer_url: string;
  jwks: JwksWire;
  check_jti: boolean;
  max_jwt_lifetime_seconds: number;
  poll_status: PollStatusWire | null;
  jwks_polling_disabled_at: string | null;
  created_at: string;
  archived_at: string | null;
}

export interface RuleMatchWire {
  audience: string | null;
  subject_prefix: string | null;
  claims: Record<string, string> | null;
  condition: string | null;
}

export interface RuleWire {
  id: string;
  name: string;
  description: string | null;
  issuer_id: string;
  issuer_name: string | null;
  match: RuleMatchWire;
  target: { service_account_id: string; service_account_name: string | null };
  oauth_scope: string;
  token_lifetime_seconds: number;
  applies_to_all_workspaces: boolean;
  workspace_ids: string[];
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface RuleWorkspaceWire {
  workspace_id: string;
  workspace_name: string | null;
  created_at: string;
}

export interface LintWarningWire {
  code: string;
  severity: string;
  field: string;
  message: string;
}

export interface AuthEventWire {
  id: string;
  created_at: string;
  request_id: string;
  outcome: 'success' | 'denied';
  reason: string | null;
  detail: string | null;
  federation_rule_id: string;
  issuer_id: string | null;
  service_account_id: string | null;
  workspace_id: string | null;
  requested_service_account_id: string | null;
  subject: string | null;
  jti: string | null;
  claims: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
}

export interface TraceStepWire {
  step: string;
  status: 'pass' | 'fail' | 'skipped';
  expected?: string;
  actual?: string;
  hint?: string;
}

export interface RuleTestWire {
  rule_id: string;
  mode: 'assertion' | 'claims';
  outcome: 'match' | 'no_match';
  failed_step: string | null;
  reason: string | null;
  steps: TraceStepWire[];
}

export interface AllRulesTestWire {
  mode: 'assertion' | 'claims';
  iss: string | null;
  matched_rule_ids: string[];
  results: Array<{ rule_id: string; rule_name: string; outcome: 'match' | 'no_match'; failed_step: string | null; reason: string | null; hint: string | null }>;
  issuer_hints: Array<{ issuer_id: string; issuer_url: string; hint: string }>;
  truncated: boolean;
}

export interface UpstreamCredentialWire {
  workspace_id: string;
  configured: boolean;
  updated_at: string | null;
  effective_source: 'workspace' | 'server_default' | 'none' | 'stand_in';
}
