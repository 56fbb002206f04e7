import type { Rule } from '../domain/types.ts';
import { ConditionCompiler } from '../policy/cel-condition.ts';
import { compileRuleMatch, type CompiledRuleMatch, type MatchExplanation } from '../policy/match-rule.ts';
import type { RuleMatching } from './run-exchange.ts';

const MAX_CACHED_RULES = 20_000;

/**
 * Compiled `match` blocks keyed by rule version (`id` + `updated_at`), so a rule is compiled
 * once after each save rather than on every exchange. Bounded: the oldest entries go first.
 */
export class RuleMatcherCache implements RuleMatching {
  readonly conditions: ConditionCompiler;
  private readonly compiled = new Map<string, CompiledRuleMatch | null>();
  private readonly defaultAudiences: readonly string[];

  constructor(options: { defaultAudiences: readonly string[]; conditions?: ConditionCompiler }) {
    this.defaultAudiences = options.defaultAudiences;
    this.conditions = options.conditions ?? new ConditionCompiler();
  }

  check(rule: Rule, claims: Record<string, unknown>) {
    const matcher = this.matcherFor(rule);
    // A stored rule that no longer compiles (e.g. after a limits change) matches nothing.
    if (!matcher) return 'match_condition' as const;
    return matcher.check(claims, { defaultAudiences: this.defaultAudiences });
  }

  explain(rule: Rule, claims: Record<string, unknown>): MatchExplanation | null {
    return this.matcherFor(rule)?.explain(claims, { defaultAudiences: this.defaultAudiences }) ?? null;
  }

  /** Validates a match block the way the exchange will compile it; throws RuleValidationError. */
  validate(match: Rule['match']): CompiledRuleMatch {
    return compileRuleMatch(match, { conditions: this.conditions });
  }

  private matcherFor(rule: Rule): CompiledRuleMatch | null {
    const key = `${rule.id}@${rule.updated_at}`;
    if (this.compiled.has(key)) return this.compiled.get(key) ?? null;
    let matcher: CompiledRuleMatch | null;
    try {
      matcher = this.validate(rule.match);
    } catch {
      matcher = null;
    }
    if (this.compiled.size >= MAX_CACHED_RULES) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(key, matcher);
    return matcher;
  }
}
