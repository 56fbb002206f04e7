import type { Colors } from '../output.ts';
import { sanitize } from '../errors.ts';

/**
 * Readable rendering of the `lint` and `test` extension responses. Both are read loosely (known
 * fields picked out, anything else ignored) so a newer server adding fields never breaks the CLI.
 */

export interface LintWarningView {
  code: string;
  field: string | null;
  message: string;
}

export function lintWarningsOf(response: unknown): LintWarningView[] {
  const record = asRecord(response);
  const list = Array.isArray(response) ? response : (record?.warnings ?? record?.data);
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const warning = asRecord(item) ?? {};
    return { code: text(warning.code) ?? 'warning', field: text(warning.field), message: text(warning.message) ?? '' };
  });
}

export function renderLint(warnings: readonly LintWarningView[], color: Colors): string {
  if (warnings.length === 0) return color.green('no warnings');
  const lines = warnings.map((w) => `${color.yellow('warning')} ${color.bold(w.code)}${w.field ? ` (${w.field})` : ''}: ${sanitize(w.message)}`);
  return [...lines, `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`].join('\n');
}

interface StepView {
  step: string;
  status: string;
  hint: string | null;
}

/** Did the dry run match? Reads `matched`, else `outcome`/`result` ("success"/"match"), else no failure. */
export function testMatched(response: unknown): boolean {
  const record = asRecord(response) ?? {};
  if (typeof record.matched === 'boolean') return record.matched;
  const outcome = text(record.outcome) ?? text(record.result);
  if (outcome !== null) return ['success', 'match', 'matched', 'allow', 'allowed', 'pass'].includes(outcome);
  return failureOf(record) === null && stepsOf(record).every((s) => s.status !== 'fail');
}

export function renderRuleTest(response: unknown, color: Colors): string {
  const record = asRecord(response) ?? {};
  const steps = stepsOf(record);
  const width = Math.max(4, ...steps.map((s) => s.step.length));
  const lines = steps.map((s) => {
    const mark = s.status === 'pass' ? color.green('pass') : s.status === 'fail' ? color.red('FAIL') : color.dim(s.status.replace(/_/g, ' '));
    return `  ${s.step.padEnd(width)}  ${mark}${s.hint ? `  ${color.dim(sanitize(s.hint))}` : ''}`;
  });
  const failure = failureOf(record);
  const verdict = testMatched(response)
    ? color.green('MATCH: this token would be accepted by the rule')
    : color.red(`NO MATCH${failure ? ` (${failure})` : ''}`);
  return [...(lines.length > 0 ? ['steps:', ...lines] : []), verdict].join('\n');
}

function stepsOf(record: Record<string, unknown>): StepView[] {
  const list = record.steps ?? record.trace;
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const step = asRecord(item) ?? {};
    return { step: text(step.step) ?? text(step.name) ?? '?', status: text(step.status) ?? '?', hint: text(step.hint) ?? text(step.detail) };
  });
}

function failureOf(record: Record<string, unknown>): string | null {
  return text(record.failure) ?? text(record.reason);
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
