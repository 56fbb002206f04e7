import type { Issuer, Rule } from '../domain/types.ts';
import { ExchangeDenied } from '../exchange/deny-reasons.ts';
import { resolveTarget } from '../exchange/resolve-target.ts';
import type { RuleMatching } from '../exchange/run-exchange.ts';
import { describeValue } from '../policy/match-hints.ts';
import type { MatchExplanation, StepName } from '../policy/match-rule.ts';
import type { Stores } from '../storage/ports.ts';
import type { KeyResolver } from '../trust/key-resolver.ts';
import { audienceNearMiss, claimsNearMiss, subjectNearMiss } from './near-miss.ts';
import { MATCH_STEPS, STEP_OF_REASON, TraceRecorder, type RuleTrace, type TraceStep } from './trace-steps.ts';
import { joinHints, traceToken, type TestSubject } from './trace-token.ts';

/** `RuleMatcherCache` satisfies this: the exchange's matcher, plus its step-by-step explanation. */
export interface ExplainingMatcher extends RuleMatching {
  explain(rule: Rule, claims: Record<string, unknown>): MatchExplanation | null;
}

export interface TraceDeps {
  stores: Stores;
  keys: KeyResolver;
  matching: ExplainingMatcher;
  /** The audiences a rule without `match.audience` accepts (shown in the trace only). */
  defaultAudiences: readonly string[];
  now: () => Date;
}

export interface RequestedTarget {
  serviceAccountId: string | null;
  workspaceId: string | null;
}

/**
 * A dry run of the exchange pipeline (spec §5.4) for one rule. Every decision is made by the
 * exchange's own functions (verifyAssertion, the rule matcher, resolveTarget); this only runs
 * them in order and records each outcome. Nothing is written: no token, no jti, no event.
 * Steps that do not depend on an earlier one are still evaluated, so one test shows every
 * problem; the first failure is the one the exchange would record.
 */
export async function traceRule(rule: Rule, subject: TestSubject, requested: RequestedTarget, deps: TraceDeps): Promise<RuleTrace> {
  const trace = new TraceRecorder();
  if (rule.archived_at === null) trace.pass('rule', { actual: `${rule.id} (${describeValue(rule.name)})` });
  else trace.fail('rule_archived', { hint: `the rule was archived at ${rule.archived_at}` });

  const stored = await deps.stores.issuers.get(rule.organization_id, rule.issuer_id);
  const issuer = stored !== null && stored.archived_at === null ? stored : null;
  if (issuer !== null) trace.pass('issuer', { actual: `${issuer.id} (${describeValue(issuer.issuer_url, 1024)})` });
  else trace.fail('issuer_archived', { hint: stored === null ? 'the issuer no longer exists' : `the issuer was archived at ${stored.archived_at}` });

  const claims = await traceToken(trace, subject, issuer, deps.keys, deps.now());
  traceMatch(trace, rule, claims, deps);
  await traceTarget(trace, rule, requested, deps.stores);
  traceReplay(trace, subject, issuer, claims);
  return trace.finish();
}

function traceMatch(trace: TraceRecorder, rule: Rule, claims: Record<string, unknown> | null, deps: TraceDeps): void {
  if (claims === null) {
    for (const step of MATCH_STEPS) trace.skip(step, 'not checked: the assertion did not verify');
    return;
  }
  const explanation = deps.matching.explain(rule, claims);
  if (explanation === null) {
    // The exchange treats a stored match block that no longer compiles as a condition failure.
    for (const step of MATCH_STEPS.slice(0, -1)) trace.skip(step, 'not checked: the match block does not compile');
    trace.fail('match_condition', { hint: 'the stored match block no longer compiles (for example after a limits change); update the rule' });
    return;
  }
  for (const explained of explanation.steps) {
    const display = describeMatchStep(explained.step, rule, claims, deps.defaultAudiences);
    if (explained.status === 'pass') trace.pass(explained.step, display);
    else if (explained.status === 'not_configured') trace.skip(explained.step, `the rule sets no ${explained.step}`, display);
    else trace.fail(`match_${explained.step}` as const, { ...display, hint: joinHints(explained.hint, matchNearMiss(explained.step, rule, claims, deps)) });
  }
}

function matchNearMiss(step: StepName, rule: Rule, claims: Record<string, unknown>, deps: TraceDeps): string | null {
  const { match } = rule;
  switch (step) {
    case 'audience': {
      const ruleAudience = match.audience ?? null;
      return audienceNearMiss(ruleAudience === null ? deps.defaultAudiences : [ruleAudience], claims.aud, ruleAudience);
    }
    case 'subject_prefix':
      return typeof match.subject_prefix === 'string' ? subjectNearMiss(match.subject_prefix, claims.sub) : null;
    case 'claims':
      return match.claims ? claimsNearMiss(match.claims, claims) : null;
    case 'condition':
      return null;
  }
}

function describeMatchStep(step: StepName, rule: Rule, claims: Record<string, unknown>, defaults: readonly string[]): Omit<TraceStep, 'step' | 'status'> {
  const { match } = rule;
  const own = (name: string) => (Object.hasOwn(claims, name) ? claims[name] : undefined);
  switch (step) {
    case 'audience':
      return {
        expected: match.audience ? describeValue(match.audience, 1024) : `one of the default audiences ${describeValue(defaults)}`,
        actual: describeValue(own('aud'), 1024),
      };
    case 'subject_prefix':
      return match.subject_prefix ? { expected: describeValue(match.subject_prefix, 1024), actual: describeValue(own('sub'), 1024) } : {};
    case 'claims': {
      const names = Object.keys(match.claims ?? {}).slice(0, 20);
      if (names.length === 0) return {};
      return {
        expected: names.map((name) => `${name} = ${describeValue(match.claims?.[name])}`).join(', '),
        actual: names.map((name) => `${name} = ${describeValue(own(name))}`).join(', '),
      };
    }
    case 'condition':
      return match.condition ? { expected: describeValue(match.condition, 500) } : {};
  }
}

/** Steps 11–12 through the exchange's resolveTarget; they depend on the request, not the token. */
async function traceTarget(trace: TraceRecorder, rule: Rule, requested: RequestedTarget, stores: Stores): Promise<void> {
  const expectedWorkspace = requested.workspaceId ?? 'resolved from the rule (spec §5.7)';
  try {
    const target = await resolveTarget(rule, requested, stores);
    trace.pass('service_account', { expected: rule.target_service_account_id, actual: target.serviceAccount.id });
    trace.pass('workspace', { expected: expectedWorkspace, actual: `${target.workspace.id} (${describeValue(target.workspace.name)})` });
  } catch (err) {
    if (!(err instanceof ExchangeDenied)) throw err;
    if (STEP_OF_REASON[err.reason] === 'service_account') {
      trace.fail(err.reason, { expected: rule.target_service_account_id, hint: err.detail });
      trace.skip('workspace', 'not checked: needs the target service account', { expected: expectedWorkspace });
    } else if (STEP_OF_REASON[err.reason] === 'workspace') {
      trace.pass('service_account', { expected: rule.target_service_account_id, actual: rule.target_service_account_id });
      trace.fail(err.reason, { expected: expectedWorkspace, hint: err.detail });
    } else {
      throw err;
    }
  }
}

/** Checking a jti would consume it (the store's claim is atomic insert-or-fail), so a dry run never does. */
function traceReplay(trace: TraceRecorder, subject: TestSubject, issuer: Issuer | null, claims: Record<string, unknown> | null): void {
  const jti = claims?.jti;
  if (subject.kind === 'claims') {
    trace.skip('replay', 'skipped (dry run): claims were given, so there is no assertion to replay');
  } else if (issuer !== null && !issuer.check_jti) {
    trace.skip('replay', 'skipped: the issuer has check_jti off, so assertions may be reused');
  } else if (claims !== null && (typeof jti !== 'string' || jti.length === 0)) {
    trace.skip('replay', 'skipped: the token has no jti, so the exchange does no replay check');
  } else {
    trace.skip(
      'replay',
      'skipped (dry run): the jti is neither checked nor consumed; a real exchange accepts it once per issuer',
      typeof jti === 'string' ? { actual: `jti ${describeValue(jti)}` } : {},
    );
  }
}
