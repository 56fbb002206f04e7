import type Anthropic from '@anthropic-ai/sdk';
import type { FederationIssuer } from '@anthropic-ai/sdk/resources/organization/federation/issuers';
import type { FederationRule } from '@anthropic-ai/sdk/resources/organization/federation/rules/rules';
import type { ServiceAccount, ServiceAccountWorkspaceMember } from '@anthropic-ai/sdk/resources/organization/service-accounts/service-accounts';
import type { Workspace } from '@anthropic-ai/sdk/resources/organization/workspaces/workspaces';
import { CliError } from '../errors.ts';
import { isServiceAccountWorkspaceRole } from '../commands/workspace-roles.ts';
import type { IssuerSpec, JwksSpec, MatchSpec, MembershipSpec, RuleSpec, ServiceAccountSpec } from './specs.ts';

/** The live (non-archived) federation objects on a server, each with its spec form and ID. */
export interface ServerState {
  issuers: Live<IssuerSpec>[];
  serviceAccounts: Live<ServiceAccountSpec>[];
  rules: Live<RuleSpec>[];
  workspaces: WorkspaceDirectory;
}

export interface Live<Spec> {
  id: string;
  spec: Spec;
}

const MAX_OBJECTS_PER_KIND = 10_000;

export async function fetchServerState(client: Anthropic): Promise<ServerState> {
  const federation = client.organization.federation;
  const [issuers, accounts, rules, workspaces] = await Promise.all([
    drain<FederationIssuer>(federation.issuers.list({ limit: 100 }), 'issuers'),
    drain<ServiceAccount>(client.organization.serviceAccounts.list({ limit: 100 }), 'service accounts'),
    drain<FederationRule>(federation.rules.list({ limit: 100 }), 'rules'),
    drain<Workspace>(client.organization.workspaces.list({ include_default: true, limit: 100 }), 'workspaces'),
  ]);
  const directory = new WorkspaceDirectory(workspaces.filter((w) => w.archived_at === null));
  const memberships = new Map<string, ServiceAccountWorkspaceMember[]>();
  // Sequential on purpose: one request at a time is gentler on a server with many accounts.
  for (const account of accounts) {
    memberships.set(account.id, await drain(client.organization.serviceAccounts.workspaces.list(account.id, { limit: 100 }), 'memberships'));
  }
  const issuerNames = new Map(issuers.map((i) => [i.id, i.name]));
  const accountNames = new Map(accounts.map((a) => [a.id, a.name]));
  return {
    issuers: issuers.filter((i) => i.archived_at === null).map((i) => ({ id: i.id, spec: issuerSpec(i) })),
    serviceAccounts: accounts
      .filter((a) => a.archived_at === null)
      .map((a) => ({ id: a.id, spec: serviceAccountSpec(a, memberships.get(a.id) ?? [], directory) })),
    rules: rules.filter((r) => r.archived_at === null).map((r) => ({ id: r.id, spec: ruleSpec(r, issuerNames, accountNames, directory) })),
    workspaces: directory,
  };
}

async function drain<Item>(pages: AsyncIterable<Item>, what: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of pages) {
    if (items.length >= MAX_OBJECTS_PER_KIND) throw new CliError(`the server has more than ${MAX_OBJECTS_PER_KIND} ${what}; refusing to plan against it`);
    items.push(item);
  }
  return items;
}

/** Workspaces by name and by ID; the file may use either, names must be unambiguous. */
export class WorkspaceDirectory {
  private readonly byId = new Map<string, Workspace>();
  private readonly byName = new Map<string, Workspace[]>();

  constructor(workspaces: readonly Workspace[]) {
    for (const workspace of workspaces) {
      this.byId.set(workspace.id, workspace);
      this.byName.set(workspace.name, [...(this.byName.get(workspace.name) ?? []), workspace]);
    }
  }

  /** The ID for a name or ID from the file, or an explanation of why there is none. */
  resolve(reference: string): { id: string } | { error: string } {
    if (this.byId.has(reference)) return { id: reference };
    const named = this.byName.get(reference) ?? [];
    if (named.length === 1) return { id: named[0]!.id };
    if (named.length > 1) return { error: `workspace name "${reference}" is ambiguous (${named.map((w) => w.id).join(', ')}); use the ID` };
    return { error: `workspace "${reference}" does not exist (or is archived); workspaces are not created from the file` };
  }

  /** How export names a workspace: by name when that is unambiguous, else by ID. */
  nameOf(id: string): string {
    const workspace = this.byId.get(id);
    if (workspace === undefined) return id;
    return (this.byName.get(workspace.name)?.length ?? 0) === 1 ? workspace.name : id;
  }
}

export function issuerSpec(issuer: FederationIssuer): IssuerSpec {
  return {
    name: issuer.name,
    issuer_url: issuer.issuer_url,
    jwks: jwksSpec(issuer.jwks),
    check_jti: issuer.check_jti,
    max_jwt_lifetime_seconds: issuer.max_jwt_lifetime_seconds,
  };
}

function jwksSpec(jwks: FederationIssuer['jwks']): JwksSpec {
  const ca = 'ca_cert_pem' in jwks && typeof jwks.ca_cert_pem === 'string' && jwks.ca_cert_pem !== '' ? { ca_cert_pem: jwks.ca_cert_pem } : {};
  switch (jwks.type) {
    case 'discovery':
      return { type: 'discovery', ...(jwks.discovery_base ? { discovery_base: jwks.discovery_base } : {}), ...ca };
    case 'explicit_url':
      return { type: 'explicit_url', url: jwks.url, ...ca };
    case 'inline':
      return { type: 'inline', keys: jwks.keys };
  }
}

function serviceAccountSpec(account: ServiceAccount, members: readonly ServiceAccountWorkspaceMember[], directory: WorkspaceDirectory): ServiceAccountSpec {
  const workspaces: MembershipSpec[] = members
    .filter((m) => m.implicit !== true && isServiceAccountWorkspaceRole(m.workspace_role))
    .map((m) => ({ workspace: directory.nameOf(m.workspace_id), role: m.workspace_role as MembershipSpec['role'] }))
    .sort((a, b) => a.workspace.localeCompare(b.workspace));
  return {
    name: account.name,
    // The API stores a cleared description as "" (spec §1.3): the same as none.
    description: account.description === '' ? null : account.description,
    organization_role: account.organization_role,
    workspaces,
  };
}

function ruleSpec(rule: FederationRule, issuerNames: Map<string, string>, accountNames: Map<string, string>, directory: WorkspaceDirectory): RuleSpec {
  return {
    name: rule.name,
    issuer: issuerNames.get(rule.issuer_id) ?? rule.issuer_name ?? rule.issuer_id,
    description: rule.description === '' ? null : rule.description,
    match: matchSpec(rule.match),
    service_account: accountNames.get(rule.target.service_account_id) ?? rule.target.service_account_name ?? rule.target.service_account_id,
    oauth_scope: rule.oauth_scope,
    token_lifetime_seconds: rule.token_lifetime_seconds,
    applies_to_all_workspaces: rule.applies_to_all_workspaces,
    workspaces: rule.workspace_ids.map((id) => directory.nameOf(id)).sort(),
  };
}

function matchSpec(match: FederationRule['match']): MatchSpec {
  const spec: MatchSpec = {};
  if (match.subject_prefix) spec.subject_prefix = match.subject_prefix;
  if (match.audience) spec.audience = match.audience;
  if (match.claims && Object.keys(match.claims).length > 0) spec.claims = { ...match.claims };
  if (match.condition) spec.condition = match.condition;
  return spec;
}
