import type { Issuer, Rule } from '../domain/types.ts';
import type { CursorPage, CursorQuery } from '../storage/ports.ts';
import { issuerNearMiss } from './near-miss.ts';
import { traceRule, type RequestedTarget, type TraceDeps } from './trace-rule.ts';
import type { RuleTrace, TraceStepName } from './trace-steps.ts';
import { peekAssertion, type TestSubject } from './trace-token.ts';

/** Bounds one request's work: each rule costs a verification and a few store reads. */
export const MAX_RULES_TESTED = 100;
const MAX_ISSUERS_SCANNED = 1000;
const PAGE_SIZE = 100;

export interface RuleTestSummary {
  rule_id: string;
  rule_name: string;
  issuer_id: string;
  outcome: RuleTrace['outcome'];
  failed_step: TraceStepName | null;
  reason: RuleTrace['reason'];
  /** The failing step's hint, so one glance at the list says why. */
  hint: string | null;
}

export interface AllRulesTest {
  type: 'federation_rules_test';
  mode: TestSubject['kind'];
  /** The token's unverified iss (assertion mode), used only to pick the candidate rules. */
  iss: string | null;
  matched_rule_ids: string[];
  results: RuleTestSummary[];
  /** Live issuers whose URL nearly equals iss, when none equals it exactly. */
  issuer_hints: { issuer_id: string; issuer_url: string; hint: string }[];
  /** More than MAX_RULES_TESTED candidate rules: only the newest were tested. */
  truncated: boolean;
}

/**
 * Which live rules of the organization would accept this token: for an assertion, every rule
 * whose issuer's issuer_url equals the token's iss (the only rules it could ever match); for raw
 * claims, every live rule. Each rule is traced exactly as the single-rule test does.
 */
export async function testAllRules(organizationId: string, subject: TestSubject, requested: RequestedTarget, deps: TraceDeps): Promise<AllRulesTest> {
  const candidates =
    subject.kind === 'assertion' ? await candidatesForAssertion(organizationId, subject.assertion, deps) : await candidatesForClaims(organizationId, deps);
  const results: RuleTestSummary[] = [];
  for (const rule of candidates.rules) {
    const trace = await traceRule(rule, subject, requested, deps);
    const failed = trace.steps.find((step) => step.status === 'fail');
    results.push({
      rule_id: rule.id,
      rule_name: rule.name,
      issuer_id: rule.issuer_id,
      outcome: trace.outcome,
      failed_step: trace.failed_step,
      reason: trace.reason,
      hint: failed?.hint ?? null,
    });
  }
  return {
    type: 'federation_rules_test',
    mode: subject.kind,
    iss: candidates.iss,
    matched_rule_ids: results.filter((r) => r.outcome === 'match').map((r) => r.rule_id),
    results,
    issuer_hints: candidates.issuerHints,
    truncated: candidates.truncated,
  };
}

interface Candidates {
  iss: string | null;
  rules: Rule[];
  issuerHints: AllRulesTest['issuer_hints'];
  truncated: boolean;
}

async function candidatesForAssertion(organizationId: string, assertion: string, deps: TraceDeps): Promise<Candidates> {
  const iss = peekAssertion(assertion).payload?.iss;
  if (typeof iss !== 'string') return { iss: null, rules: [], issuerHints: [], truncated: false };
  const { items: issuers } = await collect((query) => deps.stores.issuers.list(organizationId, { ...query, includeArchived: false }), MAX_ISSUERS_SCANNED);
  const exact = issuers.filter((issuer) => issuer.issuer_url === iss);
  const issuerHints = exact.length > 0 ? [] : nearIssuers(issuers, iss);
  const rules: Rule[] = [];
  let truncated = false;
  for (const issuer of exact) {
    const page = await collect(
      (query) => deps.stores.rules.list(organizationId, { ...query, includeArchived: false, issuerId: issuer.id }),
      MAX_RULES_TESTED - rules.length,
    );
    rules.push(...page.items);
    truncated ||= page.truncated;
  }
  return { iss, rules, issuerHints, truncated };
}

async function candidatesForClaims(organizationId: string, deps: TraceDeps): Promise<Candidates> {
  const page = await collect((query) => deps.stores.rules.list(organizationId, { ...query, includeArchived: false, issuerId: null }), MAX_RULES_TESTED);
  return { iss: null, rules: page.items, issuerHints: [], truncated: page.truncated };
}

function nearIssuers(issuers: Issuer[], iss: string): AllRulesTest['issuer_hints'] {
  const hints: AllRulesTest['issuer_hints'] = [];
  for (const issuer of issuers) {
    const hint = issuerNearMiss(issuer.issuer_url, iss);
    if (hint !== null) hints.push({ issuer_id: issuer.id, issuer_url: issuer.issuer_url, hint });
  }
  return hints.slice(0, 10);
}

/** Reads newest-first pages until `cap` items; `truncated` when more exist than were read. */
async function collect<T>(list: (query: CursorQuery) => Promise<CursorPage<T>>, cap: number): Promise<{ items: T[]; truncated: boolean }> {
  if (cap <= 0) return { items: [], truncated: (await list({ limit: 1, cursor: null })).items.length > 0 };
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: CursorPage<T> = await list({ limit: Math.min(PAGE_SIZE, cap - items.length), cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && items.length < cap);
  return { items, truncated: cursor !== null };
}
