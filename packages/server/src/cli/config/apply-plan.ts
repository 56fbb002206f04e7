import type Anthropic from '@anthropic-ai/sdk';
import type { IssuerCreateParams } from '@anthropic-ai/sdk/resources/organization/federation/issuers';
import type { RuleCreateParams } from '@anthropic-ai/sdk/resources/organization/federation/rules/rules';
import { CliError, describeApiError } from '../errors.ts';
import type { Plan, PlanStep } from './plan.ts';
import type { ServerState } from './server-state.ts';
import type { IssuerSpec, RuleSpec } from './specs.ts';

/**
 * Runs a plan's steps in order through the SDK. Names are resolved to IDs as objects get created.
 * Not transactional: on the first failure it stops and says which step failed; what was done stays
 * done, and running `apply` again continues from there (the plan is recomputed).
 */
export async function applyPlan(client: Anthropic, plan: Plan, state: ServerState, report: (line: string) => void): Promise<number> {
  const ids = {
    issuer: new Map(state.issuers.map((l) => [l.spec.name, l.id])),
    service_account: new Map(state.serviceAccounts.map((l) => [l.spec.name, l.id])),
  };
  const idOf = (kind: keyof typeof ids, name: string): string => {
    const id = ids[kind].get(name);
    if (id === undefined) throw new CliError(`internal: ${kind} ${name} has no ID yet`);
    return id;
  };
  let done = 0;
  for (const step of plan.steps) {
    try {
      const line = await runStep(client, step, ids, idOf);
      report(line);
      done++;
    } catch (err) {
      const reason = describeApiError(err) ?? (err as Error).message;
      throw new CliError(
        `step ${done + 1} of ${plan.steps.length} failed (${describeStep(step)}): ${reason}\n${done} step(s) were applied; fix the problem and run apply again`,
      );
    }
  }
  return done;
}

type Ids = { issuer: Map<string, string>; service_account: Map<string, string> };

async function runStep(client: Anthropic, step: PlanStep, ids: Ids, idOf: (kind: keyof Ids, name: string) => string): Promise<string> {
  const federation = client.organization.federation;
  const accounts = client.organization.serviceAccounts;
  switch (step.kind) {
    case 'issuer': {
      if (step.op === 'create') {
        const created = await federation.issuers.create({ name: step.name, ...issuerBody(step.spec) } as IssuerCreateParams);
        ids.issuer.set(step.name, created.id);
        return `created issuer ${step.name} (${created.id})`;
      }
      if (step.op === 'update') {
        const body = Object.fromEntries(step.changes.map((c) => [c.field, issuerBody(step.spec)[c.field as keyof ReturnType<typeof issuerBody>]]));
        await federation.issuers.update(step.id, body);
        return `updated issuer ${step.name}`;
      }
      await federation.issuers.archive(step.id);
      return `archived issuer ${step.name}`;
    }
    case 'service_account': {
      if (step.op === 'create') {
        const created = await accounts.create({ name: step.name, description: step.spec.description, organization_role: step.spec.organization_role });
        ids.service_account.set(step.name, created.id);
        return `created service account ${step.name} (${created.id})`;
      }
      if (step.op === 'update') {
        // Only what changed: re-sending organization_role "admin" needs an interactive caller (spec §1.3).
        const body = { description: step.spec.description, organization_role: step.spec.organization_role };
        await accounts.update(step.id, Object.fromEntries(step.changes.map((c) => [c.field, body[c.field as keyof typeof body]])));
        return `updated service account ${step.name}`;
      }
      await accounts.archive(step.id);
      return `archived service account ${step.name}`;
    }
    case 'membership': {
      const accountId = idOf('service_account', step.name);
      if (step.op === 'remove') {
        await accounts.workspaces.remove(step.workspaceId, { service_account_id: accountId });
        return `removed service account ${step.name} from workspace ${step.workspace}`;
      }
      await accounts.workspaces.add(accountId, { workspace_id: step.workspaceId, workspace_role: step.role });
      return `service account ${step.name} is ${step.role} in workspace ${step.workspace}`;
    }
    case 'enablement': {
      if (step.op === 'add') await federation.rules.workspaces.add(step.id, { workspace_id: step.workspaceId });
      else await federation.rules.workspaces.remove(step.workspaceId, { federation_rule_id: step.id });
      return `rule ${step.name} ${step.op === 'add' ? 'enabled in' : 'disabled in'} workspace ${step.workspace}`;
    }
    case 'rule': {
      if (step.op === 'archive') {
        await federation.rules.archive(step.id);
        return `archived rule ${step.name}`;
      }
      if (step.op === 'update') {
        const body = ruleBody(step.spec, idOf);
        await federation.rules.update(
          step.id,
          Object.fromEntries(
            step.changes.map((c) => [
              c.field === 'service_account' ? 'target' : c.field,
              body[c.field === 'service_account' ? 'target' : (c.field as keyof typeof body)],
            ]),
          ),
        );
        return `updated rule ${step.name}`;
      }
      if (step.op === 'replace') await federation.rules.archive(step.id);
      const [first, ...rest] = step.workspaceIds;
      const created = await federation.rules.create({
        ...ruleBody(step.spec, idOf),
        issuer_id: idOf('issuer', step.spec.issuer),
        name: step.name,
        ...(first === undefined ? {} : { workspace_id: first }),
      } as RuleCreateParams);
      for (const workspaceId of rest) await federation.rules.workspaces.add(created.id, { workspace_id: workspaceId });
      return `${step.op === 'replace' ? 'replaced' : 'created'} rule ${step.name} (${created.id})`;
    }
  }
}

function issuerBody(spec: IssuerSpec) {
  return { issuer_url: spec.issuer_url, jwks: spec.jwks, check_jti: spec.check_jti, max_jwt_lifetime_seconds: spec.max_jwt_lifetime_seconds };
}

function ruleBody(spec: RuleSpec, idOf: (kind: keyof Ids, name: string) => string) {
  return {
    description: spec.description,
    match: spec.match,
    target: { type: 'service_account' as const, service_account_id: idOf('service_account', spec.service_account) },
    oauth_scope: spec.oauth_scope,
    token_lifetime_seconds: spec.token_lifetime_seconds,
    applies_to_all_workspaces: spec.applies_to_all_workspaces,
  };
}

function describeStep(step: PlanStep): string {
  const subject = 'workspace' in step ? `${step.name} / workspace ${step.workspace}` : step.name;
  return `${step.op} ${step.kind.replace('_', ' ')} ${subject}`;
}
