import { ConfigFileError } from './source-document.ts';
import type { LoadedSpec } from './read-spec.ts';
import type { ServerState } from './server-state.ts';
import { canonicalJson, type IssuerSpec, type MembershipSpec, type RuleSpec, type ServiceAccountSpec } from './specs.ts';

/**
 * The diff between a file and a server, as an ordered list of steps: issuers, service accounts,
 * memberships, rules and enablements in dependency order, then archives (rules before what they
 * reference). Objects are matched by name. Pure: no I/O, so it is tested in-process.
 */

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type PlanStep =
  | { kind: 'issuer'; op: 'create'; name: string; spec: IssuerSpec }
  | { kind: 'issuer'; op: 'update'; name: string; id: string; spec: IssuerSpec; changes: FieldChange[] }
  | { kind: 'service_account'; op: 'create'; name: string; spec: ServiceAccountSpec }
  | { kind: 'service_account'; op: 'update'; name: string; id: string; spec: ServiceAccountSpec; changes: FieldChange[] }
  | { kind: 'membership'; op: 'add' | 'update'; name: string; workspace: string; workspaceId: string; role: MembershipSpec['role']; from?: string }
  | { kind: 'membership'; op: 'remove'; name: string; workspace: string; workspaceId: string; role: MembershipSpec['role'] }
  | { kind: 'rule'; op: 'create'; name: string; spec: RuleSpec; workspaceIds: string[] }
  | { kind: 'rule'; op: 'replace'; name: string; id: string; spec: RuleSpec; workspaceIds: string[]; reason: string }
  | { kind: 'rule'; op: 'update'; name: string; id: string; spec: RuleSpec; changes: FieldChange[] }
  | { kind: 'enablement'; op: 'add' | 'remove'; name: string; id: string; workspace: string; workspaceId: string }
  | { kind: 'issuer' | 'service_account' | 'rule'; op: 'archive'; name: string; id: string };

export interface Plan {
  steps: PlanStep[];
  /** Live server objects the file does not mention, left alone without --prune. */
  unmanaged: { kind: 'issuer' | 'service_account' | 'rule'; name: string; id: string }[];
}

export function computePlan(desired: LoadedSpec, server: ServerState, options: { prune: boolean }): Plan {
  const problems: string[] = [];
  const workspaceId = (reference: string, path: (string | number)[]): string => {
    const resolved = server.workspaces.resolve(reference);
    if ('id' in resolved) return resolved.id;
    problems.push(`${desired.locate(path)}: ${resolved.error}`);
    return '';
  };
  const serverWorkspaceId = (reference: string): string => {
    const resolved = server.workspaces.resolve(reference);
    return 'id' in resolved ? resolved.id : reference;
  };

  const steps: PlanStep[] = [];
  const issuers = new Map(server.issuers.map((live) => [live.spec.name, live]));
  const accounts = new Map(server.serviceAccounts.map((live) => [live.spec.name, live]));
  const rules = new Map(server.rules.map((live) => [live.spec.name, live]));

  for (const spec of desired.issuers) {
    const live = issuers.get(spec.name);
    if (live === undefined) steps.push({ kind: 'issuer', op: 'create', name: spec.name, spec });
    else {
      const changes = diffFields(live.spec, spec, ['issuer_url', 'jwks', 'check_jti', 'max_jwt_lifetime_seconds']);
      if (changes.length > 0) steps.push({ kind: 'issuer', op: 'update', name: spec.name, id: live.id, spec, changes });
    }
  }

  desired.service_accounts.forEach((spec, index) => {
    const live = accounts.get(spec.name);
    if (live === undefined) steps.push({ kind: 'service_account', op: 'create', name: spec.name, spec });
    else {
      const changes = diffFields(live.spec, spec, ['description', 'organization_role']);
      if (changes.length > 0) steps.push({ kind: 'service_account', op: 'update', name: spec.name, id: live.id, spec, changes });
    }
    if (spec.workspaces === null) return;
    const current = new Map((live?.spec.workspaces ?? []).map((m) => [serverWorkspaceId(m.workspace), m]));
    const wanted = new Set<string>();
    spec.workspaces.forEach((membership, i) => {
      const id = workspaceId(membership.workspace, ['service_accounts', index, 'workspaces', i, 'workspace']);
      if (id === '') return;
      if (wanted.has(id)) problems.push(`${desired.locate(['service_accounts', index, 'workspaces', i])}: workspace "${membership.workspace}" is listed twice`);
      wanted.add(id);
      const existing = current.get(id);
      if (existing === undefined)
        steps.push({ kind: 'membership', op: 'add', name: spec.name, workspace: membership.workspace, workspaceId: id, role: membership.role });
      else if (existing.role !== membership.role) {
        steps.push({
          kind: 'membership',
          op: 'update',
          name: spec.name,
          workspace: membership.workspace,
          workspaceId: id,
          role: membership.role,
          from: existing.role,
        });
      }
    });
    for (const [id, membership] of current) {
      if (!wanted.has(id))
        steps.push({ kind: 'membership', op: 'remove', name: spec.name, workspace: membership.workspace, workspaceId: id, role: membership.role });
    }
  });

  const archives: PlanStep[] = [];
  desired.rules.forEach((spec, index) => {
    const ids = spec.workspaces.map((reference, i) => workspaceId(reference, ['rules', index, 'workspaces', i]));
    if (new Set(ids).size !== ids.length) problems.push(`${desired.locate(['rules', index, 'workspaces'])}: a workspace is listed twice`);
    const live = rules.get(spec.name);
    if (live === undefined) return steps.push({ kind: 'rule', op: 'create', name: spec.name, spec, workspaceIds: ids });
    if (live.spec.issuer !== spec.issuer) {
      return steps.push({
        kind: 'rule',
        op: 'replace',
        name: spec.name,
        id: live.id,
        spec,
        workspaceIds: ids,
        reason: `issuer changes from ${live.spec.issuer} to ${spec.issuer}, which cannot be done in place`,
      });
    }
    const currentIds = new Set(live.spec.workspaces.map(serverWorkspaceId));
    // Enable new workspaces before the update: turning applies_to_all_workspaces off needs one.
    for (const [i, id] of ids.entries()) {
      if (id !== '' && !currentIds.has(id))
        steps.push({ kind: 'enablement', op: 'add', name: spec.name, id: live.id, workspace: spec.workspaces[i]!, workspaceId: id });
    }
    const changes = diffFields(live.spec, spec, [
      'description',
      'match',
      'service_account',
      'oauth_scope',
      'token_lifetime_seconds',
      'applies_to_all_workspaces',
    ]);
    if (changes.length > 0) steps.push({ kind: 'rule', op: 'update', name: spec.name, id: live.id, spec, changes });
    for (const reference of live.spec.workspaces) {
      const id = serverWorkspaceId(reference);
      if (!ids.includes(id)) steps.push({ kind: 'enablement', op: 'remove', name: spec.name, id: live.id, workspace: reference, workspaceId: id });
    }
  });

  if (problems.length > 0) throw new ConfigFileError(problems.join('\n'));

  const declared = {
    rule: new Set(desired.rules.map((r) => r.name)),
    service_account: new Set(desired.service_accounts.map((s) => s.name)),
    issuer: new Set(desired.issuers.map((i) => i.name)),
  };
  const unmanaged: Plan['unmanaged'] = [
    ...server.rules.filter((l) => !declared.rule.has(l.spec.name)).map((l) => ({ kind: 'rule' as const, name: l.spec.name, id: l.id })),
    ...server.serviceAccounts
      .filter((l) => !declared.service_account.has(l.spec.name))
      .map((l) => ({ kind: 'service_account' as const, name: l.spec.name, id: l.id })),
    ...server.issuers.filter((l) => !declared.issuer.has(l.spec.name)).map((l) => ({ kind: 'issuer' as const, name: l.spec.name, id: l.id })),
  ];
  if (options.prune) {
    for (const object of unmanaged) archives.push({ ...object, op: 'archive' });
    return { steps: [...steps, ...archives], unmanaged: [] };
  }
  return { steps, unmanaged };
}

function diffFields<Spec extends object>(current: Spec, wanted: Spec, fields: readonly (keyof Spec & string)[]): FieldChange[] {
  return fields
    .filter((field) => canonicalJson(current[field] ?? null) !== canonicalJson(wanted[field] ?? null))
    .map((field) => ({ field, from: current[field], to: wanted[field] }));
}

export function planSummary(plan: Plan): { create: number; update: number; archive: number } {
  let create = 0;
  let update = 0;
  let archive = 0;
  for (const step of plan.steps) {
    if (step.op === 'create' || step.op === 'add') create++;
    else if (step.op === 'archive' || step.op === 'remove') archive++;
    else update++;
  }
  return { create, update, archive };
}
