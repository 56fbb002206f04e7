import type { Colors } from '../output.ts';
import { planSummary, type FieldChange, type Plan, type PlanStep } from './plan.ts';
import type { RuleSpec } from './specs.ts';

const KIND_LABEL = { issuer: 'issuer', service_account: 'service account', rule: 'rule' } as const;
const MAX_VALUE_WIDTH = 100;

/** The plan as a readable diff: `+` create, `~` update, `-` archive/remove, `-/+` replace. */
export function renderPlan(plan: Plan, color: Colors): string {
  const lines: string[] = [];
  for (const step of plan.steps) lines.push(...renderStep(step, color));
  const { create, update, archive } = planSummary(plan);
  if (plan.steps.length === 0) lines.push('No changes: the server matches the file.');
  else lines.push('', `Plan: ${create} to create, ${update} to update, ${archive} to archive or remove.`);
  if (plan.unmanaged.length > 0) {
    lines.push(
      color.dim(`${plan.unmanaged.length} object(s) on the server are not in the file and are left alone (use --prune to archive them):`),
      ...plan.unmanaged.map((object) => color.dim(`  ${KIND_LABEL[object.kind]} ${object.name} (${object.id})`)),
    );
  }
  return lines.join('\n');
}

function renderStep(step: PlanStep, color: Colors): string[] {
  const add = (text: string) => color.green(`+ ${text}`);
  const change = (text: string) => color.yellow(`~ ${text}`);
  const remove = (text: string) => color.red(`- ${text}`);
  switch (step.kind) {
    case 'membership':
      if (step.op === 'add') return [add(`membership: service account ${step.name} in workspace ${step.workspace} as ${step.role}`)];
      if (step.op === 'update') return [change(`membership: service account ${step.name} in workspace ${step.workspace}: ${step.from} → ${step.role}`)];
      return [remove(`membership: service account ${step.name} leaves workspace ${step.workspace}`)];
    case 'enablement':
      return [
        step.op === 'add'
          ? add(`rule ${step.name} enabled in workspace ${step.workspace}`)
          : remove(`rule ${step.name} disabled in workspace ${step.workspace}`),
      ];
    default:
      break;
  }
  const label = `${KIND_LABEL[step.kind]} ${step.name}`;
  switch (step.op) {
    case 'create':
      // A new account's memberships are listed as their own steps.
      return [
        add(label),
        ...fields(step.kind === 'rule' ? ruleFields(step.spec) : step.kind === 'service_account' ? { ...step.spec, workspaces: null } : step.spec).map(
          (line) => `    ${line}`,
        ),
      ];
    case 'update':
      return [change(label), ...step.changes.map((c) => `    ${describeChange(c)}`)];
    case 'replace':
      return [color.red(`-/+ ${label}`) + color.dim(` (${step.reason}: archive, then create)`), ...fields(ruleFields(step.spec)).map((line) => `    ${line}`)];
    case 'archive':
      return [remove(`${label} (archive: not in the file)`)];
  }
}

function ruleFields(spec: RuleSpec): object {
  const { service_account, ...rest } = spec;
  return { ...rest, target: { service_account } };
}

function fields(spec: object): string[] {
  return Object.entries(spec)
    .filter(([key, value]) => key !== 'name' && value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key}: ${show(value)}`);
}

function describeChange(change: FieldChange): string {
  return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  return text.length > MAX_VALUE_WIDTH ? `${text.slice(0, MAX_VALUE_WIDTH - 1)}…` : text;
}

/** The plan for `--json`: steps without internal spec duplication. */
export function planJson(plan: Plan): object {
  return {
    changes: plan.steps.length > 0,
    summary: planSummary(plan),
    steps: plan.steps,
    unmanaged: plan.unmanaged,
  };
}
