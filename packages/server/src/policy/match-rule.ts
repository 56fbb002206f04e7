import type { CompiledCondition, ConditionCompiler } from './cel-condition.ts';
import { describeMismatch, describeValue } from './match-hints.ts';
import { RuleValidationError } from './rule-validation-error.ts';

export interface RuleMatch {
  audience?: string | null;
  subject_prefix?: string | null;
  claims?: Record<string, string> | null;
  condition?: string | null;
}

export type MatchFailure = 'match_audience' | 'match_subject_prefix' | 'match_claims' | 'match_condition';

export const MATCH_LIMITS = {
  maxAudienceLength: 1024,
  maxSubjectPrefixLength: 1024,
  maxClaimEntries: 50,
  maxClaimKeyLength: 256,
  maxClaimValueLength: 1024,
} as const;

const MATCH_FIELDS = new Set(['audience', 'subject_prefix', 'claims', 'condition']);

export interface CheckOptions {
  /** Audiences accepted when the rule sets none (spec §5.6, `WIF_DEFAULT_AUDIENCE`). */
  readonly defaultAudiences: readonly string[];
}

export type StepName = 'audience' | 'subject_prefix' | 'claims' | 'condition';

export interface ExplainStep {
  readonly step: StepName;
  /** `not_configured`: the rule has no such matcher (audience is never skipped, see §5.6). */
  readonly status: 'pass' | 'fail' | 'not_configured';
  readonly hint?: string;
}

export interface MatchExplanation {
  /** The first failing step, exactly what `check()` returns. */
  readonly failure: MatchFailure | null;
  readonly steps: readonly ExplainStep[];
}

export interface CompiledRuleMatch {
  readonly match: Readonly<RuleMatch>;
  readonly condition: CompiledCondition | null;
  /** First failing matcher in spec order (audience, subject, claims, condition), or null on a match. */
  check(claims: Record<string, unknown>, options: CheckOptions): MatchFailure | null;
  /** Every step evaluated, with near-miss hints. For admins only: hints quote token and rule values. */
  explain(claims: Record<string, unknown>, options: CheckOptions): MatchExplanation;
}

export interface CompileRuleMatchOptions {
  readonly conditions: ConditionCompiler;
}

export type StepResult = { readonly ok: true } | { readonly ok: false; readonly hint: string };
const PASS: StepResult = { ok: true };

/** Validates a rule's `match` (spec §4.3) and compiles it; throws RuleValidationError. */
export function compileRuleMatch(match: RuleMatch, options: CompileRuleMatchOptions): CompiledRuleMatch {
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    throw new RuleValidationError('match', 'match must be an object');
  }
  for (const key of Object.keys(match)) {
    // A typo such as `subject_prefx` must not silently widen the rule.
    if (!MATCH_FIELDS.has(key)) throw new RuleValidationError(`match.${key}`, `unknown match field "${key.slice(0, 64)}"`);
  }
  const audience = optionalString(match.audience, 'match.audience', MATCH_LIMITS.maxAudienceLength);
  const subjectPrefix = optionalString(match.subject_prefix, 'match.subject_prefix', MATCH_LIMITS.maxSubjectPrefixLength);
  const claims = validateClaims(match.claims);
  const conditionSource = match.condition ?? null;
  if (conditionSource !== null && typeof conditionSource !== 'string') {
    throw new RuleValidationError('match.condition', 'condition must be a string or null');
  }
  const condition = conditionSource === null ? null : options.conditions.compileCondition(conditionSource);

  const subjectConstrains = subjectPrefix !== null && subjectPrefix !== '*';
  if (!subjectConstrains && claims === null && condition === null) {
    throw new RuleValidationError(
      'match',
      subjectPrefix === '*'
        ? 'subject_prefix "*" matches every subject; set a real subject_prefix, claims or condition'
        : 'match needs at least one of subject_prefix, claims or condition (audience alone is not enough)',
    );
  }

  const frozen: RuleMatch = Object.freeze({ audience, subject_prefix: subjectPrefix, claims, condition: conditionSource });
  const steps = (tokenClaims: Record<string, unknown>, opts: CheckOptions): [StepName, StepResult | null][] => [
    ['audience', checkAudience(tokenClaims, audience, opts.defaultAudiences)],
    ['subject_prefix', subjectPrefix === null ? null : checkSubject(tokenClaims, subjectPrefix)],
    ['claims', claims === null ? null : checkClaims(tokenClaims, claims)],
    ['condition', condition === null ? null : checkCondition(tokenClaims, condition)],
  ];

  return {
    match: frozen,
    condition,
    check(tokenClaims, opts) {
      // Evaluated lazily so a failing audience never pays for the CEL condition.
      if (!checkAudience(tokenClaims, audience, opts.defaultAudiences).ok) return 'match_audience';
      if (subjectPrefix !== null && !checkSubject(tokenClaims, subjectPrefix).ok) return 'match_subject_prefix';
      if (claims !== null && !checkClaims(tokenClaims, claims).ok) return 'match_claims';
      if (condition !== null && !condition.evaluate(tokenClaims)) return 'match_condition';
      return null;
    },
    explain(tokenClaims, opts) {
      let failure: MatchFailure | null = null;
      const explained = steps(tokenClaims, opts).map(([step, result]): ExplainStep => {
        if (result === null) return { step, status: 'not_configured' };
        if (result.ok) return { step, status: 'pass' };
        failure ??= `match_${step}`;
        return { step, status: 'fail', hint: result.hint };
      });
      return { failure, steps: explained };
    },
  };
}

function optionalString(value: unknown, field: string, maxLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new RuleValidationError(field, `${field.slice(6)} must be a string or null`);
  if (value === '') throw new RuleValidationError(field, `${field.slice(6)} must not be empty (use null to leave it unset)`);
  if (value.length > maxLength) throw new RuleValidationError(field, `${field.slice(6)} is too long (at most ${maxLength} characters)`);
  return value;
}

function validateClaims(value: unknown): Readonly<Record<string, string>> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new RuleValidationError('match.claims', 'claims must be an object of string values');
  const entries = Object.entries(value);
  // `{}` constrains nothing, so it must not count towards the minimum-content rule.
  if (entries.length === 0) return null;
  if (entries.length > MATCH_LIMITS.maxClaimEntries) {
    throw new RuleValidationError('match.claims', `claims has too many entries (at most ${MATCH_LIMITS.maxClaimEntries})`);
  }
  const validated: Record<string, string> = Object.create(null);
  for (const [key, claimValue] of entries) {
    if (key === '') throw new RuleValidationError('match.claims', 'claim names must not be empty');
    if (key.length > MATCH_LIMITS.maxClaimKeyLength) {
      throw new RuleValidationError('match.claims', `claim name is too long (at most ${MATCH_LIMITS.maxClaimKeyLength} characters)`);
    }
    const field = `match.claims.${key}`;
    if (typeof claimValue !== 'string') {
      throw new RuleValidationError(field, 'claim values must be strings; use condition for numbers, booleans, lists or nested claims');
    }
    if (claimValue.length > MATCH_LIMITS.maxClaimValueLength) {
      throw new RuleValidationError(field, `claim value is too long (at most ${MATCH_LIMITS.maxClaimValueLength} characters)`);
    }
    validated[key] = claimValue;
  }
  return Object.freeze(validated);
}

function ownClaim(claims: Record<string, unknown>, name: string): unknown {
  // hasOwn: a claim named `constructor` or `__proto__` must not resolve to Object.prototype.
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

/** The audience step: `aud` (a string or a list) holds `expected`, or one of `defaults` when the rule names none. */
export function checkAudience(claims: Record<string, unknown>, expected: string | null, defaults: readonly string[]): StepResult {
  const aud = ownClaim(claims, 'aud');
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((v): v is string => typeof v === 'string') : [];
  const accepted = expected === null ? defaults : [expected];
  if (values.some((value) => accepted.includes(value))) return PASS;
  const want = expected === null ? `one of the default audiences ${describeValue(defaults)}` : describeValue(expected);
  return { ok: false, hint: `expected aud ${want}, got ${describeValue(aud)}` };
}

function checkSubject(claims: Record<string, unknown>, subjectPrefix: string): StepResult {
  const sub = ownClaim(claims, 'sub');
  if (typeof sub !== 'string') return { ok: false, hint: `sub is ${sub === undefined ? 'missing' : `not a string (${describeValue(sub)})`}` };
  const isPrefix = subjectPrefix.endsWith('*');
  const expected = isPrefix ? subjectPrefix.slice(0, -1) : subjectPrefix;
  if (isPrefix ? sub.startsWith(expected) : sub === expected) return PASS;
  return { ok: false, hint: describeMismatch(expected, sub, isPrefix ? 'prefix' : 'exact') };
}

function checkClaims(claims: Record<string, unknown>, expected: Readonly<Record<string, string>>): StepResult {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = ownClaim(claims, name);
    // Typed comparison: the number 1 never equals the rule value "1".
    if (got === want) continue;
    if (got === undefined) problems.push(`${name}: missing (expected ${describeValue(want)})`);
    else if (typeof got !== 'string') problems.push(`${name}: expected the string ${describeValue(want)}, got ${describeValue(got)}`);
    else problems.push(`${name}: ${describeMismatch(want, got, 'exact')}`);
  }
  return problems.length === 0 ? PASS : { ok: false, hint: problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '') };
}

function checkCondition(claims: Record<string, unknown>, condition: CompiledCondition): StepResult {
  const outcome = condition.evaluateWithOutcome(claims);
  switch (outcome.result) {
    case 'true':
      return PASS;
    case 'false':
      return { ok: false, hint: 'condition evaluated to false' };
    default:
      return { ok: false, hint: `condition did not match: ${describeValue(outcome.detail, 200)}` };
  }
}
