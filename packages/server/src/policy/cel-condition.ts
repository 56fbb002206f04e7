import { isCelError, parse, plan, type CelEnv, type CelResult } from '@bufbuild/cel';
import { clone, create } from '@bufbuild/protobuf';
import { ExprSchema, type Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { childExpressions } from './cel-ast.ts';
import { createPolicyCelEnv, METER_FUNCTION } from './cel-environment.ts';
import {
  analyzeCondition,
  checkBracketNesting,
  CONDITION_FIELD,
  DEFAULT_CONDITION_LIMITS,
  type ConditionAnalysis,
  type ConditionLimits,
} from './cel-static-guard.ts';
import { staticResultKind, staticTruth } from './cel-static-truth.ts';
import { DEFAULT_EVALUATION_LIMITS, EvaluationMeter, type EvaluationLimits } from './evaluation-meter.ts';
import { DEFAULT_REGEX_CACHE_SIZE, RegexCache } from './regex-cache.ts';
import { RuleValidationError } from './rule-validation-error.ts';

export { RuleValidationError } from './rule-validation-error.ts';

export type ConditionOutcome =
  | { readonly result: 'true' }
  | { readonly result: 'false' }
  | { readonly result: 'error'; readonly detail: string }
  | { readonly result: 'non_bool'; readonly detail: string }
  | { readonly result: 'budget_exceeded'; readonly detail: string };

export interface CompiledCondition {
  readonly source: string;
  readonly analysis: ConditionAnalysis;
  /** true only for a boolean `true`; errors, non-bool results and budget overruns are false. Never throws. */
  evaluate(claims: Record<string, unknown>): boolean;
  /** Same evaluation with the reason kept, for the admin-facing "why was I denied?" trace. */
  evaluateWithOutcome(claims: Record<string, unknown>): ConditionOutcome;
}

export interface ConditionCompilerOptions {
  readonly limits?: Partial<ConditionLimits>;
  readonly evaluation?: Partial<EvaluationLimits>;
  readonly regexCacheSize?: number;
  /** Monotonic milliseconds, for the evaluation deadline. */
  readonly now?: () => number;
}

/**
 * Compiles rule conditions: parse once, validate statically, plan once. Owns the CEL
 * environment, the RE2 cache and the evaluation meter, so the caller decides their lifetime
 * (one per server, one per test).
 */
export class ConditionCompiler {
  readonly limits: ConditionLimits;
  readonly #env: CelEnv;
  readonly #meter: EvaluationMeter;
  readonly #regexCache: RegexCache;

  constructor(options: ConditionCompilerOptions = {}) {
    this.limits = { ...DEFAULT_CONDITION_LIMITS, ...options.limits };
    this.#regexCache = new RegexCache(options.regexCacheSize ?? DEFAULT_REGEX_CACHE_SIZE);
    this.#meter = new EvaluationMeter({ ...DEFAULT_EVALUATION_LIMITS, ...options.evaluation }, options.now ?? (() => performance.now()));
    this.#env = createPolicyCelEnv({ regexCache: this.#regexCache, meter: this.#meter });
  }

  /** Throws RuleValidationError (field `match.condition`) with an admin-facing message. */
  compileCondition(source: string): CompiledCondition {
    if (typeof source !== 'string') throw new RuleValidationError(CONDITION_FIELD, 'condition must be a string');
    if (source.length > this.limits.maxSourceLength) {
      throw new RuleValidationError(CONDITION_FIELD, `condition is too long (${source.length} characters, at most ${this.limits.maxSourceLength})`);
    }
    if (source.trim() === '') throw new RuleValidationError(CONDITION_FIELD, 'condition is empty');
    checkBracketNesting(source, this.limits.maxBracketNesting);
    const root = parseOrReject(source);
    const analysis = analyzeCondition(root, {
      limits: this.limits,
      isKnownFunction: (name) => this.#env.funcs.find(name) !== undefined,
      compileRegex: (pattern) => this.#regexCache.compile(pattern).programSize,
    });
    if (staticResultKind(root) === 'non_bool') {
      throw new RuleValidationError(CONDITION_FIELD, 'condition must evaluate to a boolean (true or false)');
    }
    if (!analysis.referencesClaims) {
      throw new RuleValidationError(CONDITION_FIELD, 'condition must reference the token via "claims" (a constant expression matches every or no token)');
    }
    const truth = staticTruth(root, (closed) => this.#run(this.#plan(closed), {}).value);
    if (truth === true) throw new RuleValidationError(CONDITION_FIELD, 'condition is always true, so it would match every token');
    if (truth === false) throw new RuleValidationError(CONDITION_FIELD, 'condition is always false, so it would never match');

    const program = this.#plan(root);
    const evaluateWithOutcome = (claims: Record<string, unknown>): ConditionOutcome => {
      const { value, exhausted } = this.#run(program, { claims });
      if (exhausted !== null) return { result: 'budget_exceeded', detail: `evaluation stopped: ${exhausted} budget exceeded` };
      if (value === true) return { result: 'true' };
      if (value === false) return { result: 'false' };
      if (isCelError(value)) return { result: 'error', detail: value.message };
      return { result: 'non_bool', detail: 'condition did not produce a boolean' };
    };
    return {
      source,
      analysis,
      evaluate: (claims) => evaluateWithOutcome(claims).result === 'true',
      evaluateWithOutcome,
    };
  }

  /** Plans a copy whose comprehension loop conditions pass through the meter. */
  #plan(expr: Expr): (bindings: Record<string, unknown>) => CelResult {
    const metered = withMeteredLoops(expr);
    const program = plan(this.#env, metered) as (bindings: Record<string, unknown>) => CelResult;
    return program;
  }

  #run(
    program: (bindings: Record<string, unknown>) => CelResult,
    bindings: Record<string, unknown>,
  ): {
    value: CelResult | undefined;
    exhausted: 'iterations' | 'deadline' | null;
  } {
    this.#meter.start();
    try {
      const value = program(bindings);
      return { value, exhausted: this.#meter.exhausted };
    } catch (err) {
      // plan() already converts evaluation failures to CelError; this is the last line of defence.
      return { value: isCelError(err) ? err : undefined, exhausted: this.#meter.exhausted };
    }
  }
}

function parseOrReject(source: string): Expr {
  try {
    return parse(source).expr;
  } catch (err) {
    if (err instanceof RangeError) throw new RuleValidationError(CONDITION_FIELD, 'condition is nested too deeply');
    throw new RuleValidationError(CONDITION_FIELD, `syntax error${describeLocation(err)}`);
  }
}

/** The parser's messages list every expected token; keep only the position and what was found. */
function describeLocation(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const location = (err as { location?: { start?: { line?: unknown; column?: unknown } } }).location?.start;
  const found = (err as { found?: unknown }).found;
  const where = typeof location?.line === 'number' && typeof location.column === 'number' ? ` at line ${location.line}, column ${location.column}` : '';
  const what = typeof found === 'string' ? `: unexpected "${found.slice(0, 16)}"` : found === null ? ': unexpected end of input' : '';
  return `${where}${what}`;
}

function withMeteredLoops(expr: Expr): Expr {
  const copy = clone(ExprSchema, expr);
  let nextId = maxId(copy) + 1n;
  const visit = (node: Expr): void => {
    childExpressions(node).forEach(visit);
    if (node.exprKind.case !== 'comprehensionExpr') return;
    const comp = node.exprKind.value;
    comp.loopCondition = create(ExprSchema, {
      id: nextId++,
      exprKind: { case: 'callExpr', value: { function: METER_FUNCTION, args: comp.loopCondition ? [comp.loopCondition] : [] } },
    });
  };
  visit(copy);
  return copy;
}

function maxId(expr: Expr): bigint {
  return childExpressions(expr).reduce((max, child) => {
    const id = maxId(child);
    return id > max ? id : max;
  }, expr.id);
}
