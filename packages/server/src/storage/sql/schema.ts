/**
 * Row shapes as Kysely sees them. Booleans are stored as 0/1 integers and times as ISO-8601
 * text so the same queries run unchanged on SQLite and PostgreSQL (ISO strings sort correctly).
 * These types never leave storage/sql: stores map rows to domain objects.
 */
export interface Database {
  organizations: { id: string; name: string; created_at: string };
  installation: { id: number; organization_id: string };
  config_generation: { id: number; value: number | string | bigint };
  console_sessions: {
    id_hash: string;
    organization_id: string;
    actor_id: string;
    kind: string;
    created_at: string;
    expires_at: string;
  };
  admin_credentials: {
    token_hash: string;
    organization_id: string;
    actor_id: string;
    label: string;
    created_at: string;
  };
  workspaces: {
    id: string;
    organization_id: string;
    name: string;
    is_default: number;
    display_color: string;
    tags_json: string;
    data_residency_json: string;
    created_at: string;
    archived_at: string | null;
  };
  service_accounts: AuditedRow & {
    id: string;
    organization_id: string;
    name: string;
    description: string | null;
    organization_role: string;
  };
  memberships: {
    service_account_id: string;
    workspace_id: string;
    workspace_role: string;
    created_at: string;
    created_by_actor_id: string | null;
  };
  federation_issuers: AuditedRow & {
    id: string;
    organization_id: string;
    name: string;
    issuer_url: string;
    jwks_json: string;
    check_jti: number;
    max_jwt_lifetime_seconds: number;
    jwks_polling_disabled_at: string | null;
    poll_consecutive_failures: number;
    poll_last_fetched_at: string | null;
    poll_next_poll_at: string | null;
  };
  federation_rules: AuditedRow & {
    id: string;
    organization_id: string;
    name: string;
    description: string | null;
    issuer_id: string;
    match_json: string;
    target_service_account_id: string;
    oauth_scope: string;
    token_lifetime_seconds: number;
    applies_to_all_workspaces: number;
  };
  rule_workspaces: {
    federation_rule_id: string;
    workspace_id: string;
    created_at: string;
    created_by_actor_id: string | null;
  };
  access_tokens: {
    token_hash: string;
    organization_id: string;
    workspace_id: string;
    service_account_id: string;
    scopes: string;
    rule_id: string;
    issuer_id: string;
    subject: string;
    created_at: string;
    expires_at: string;
  };
  jti_claims: { issuer_id: string; jti: string; expires_at: string };
  upstream_credentials: {
    organization_id: string;
    workspace_id: string;
    sealed: string;
    created_at: string;
    updated_at: string;
    updated_by_actor_id: string | null;
  };
  auth_events: {
    id: string;
    organization_id: string;
    created_at: string;
    request_id: string;
    outcome: string;
    reason: string | null;
    detail: string | null;
    federation_rule_id: string;
    issuer_id: string | null;
    subject: string | null;
    jti: string | null;
    requested_service_account_id: string | null;
    service_account_id: string | null;
    workspace_id: string | null;
    claims_json: string | null;
    ip_address: string | null;
    user_agent: string | null;
  };
}

interface AuditedRow {
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  created_by_actor_id: string | null;
  updated_by_actor_id: string | null;
  archived_by_actor_id: string | null;
}
