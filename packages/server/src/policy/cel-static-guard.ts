import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { CLAIMS_VARIABLE } from './cel-ast.ts';
import { claimPathOf } from './cel-claim-references.ts';
import { RuleValidationError } from './rule-validation-error.ts';

/** Structural budget checked once, when a rule is written. */
export interface ConditionLimits {
  readonly maxSourceLength: number;
  /** Brackets `(`, `[`, `{` open at once; the generated parser recurses per level. */
  readonly maxBracketNesting: number;
  /** AST nodes after macro expansion (an `exists()` alone is about 8 nodes). */
  readonly maxNodes: number;
  readonly maxDepth: number;
  readonly maxComprehensionNesting: number;
  readonly maxStringLiteralLength: number;
  readonly maxRegexLength: number;
  /** `matches()` calls per condition. */
  readonly maxRegexCount: number;
  /**
   * RE2 instructions per pattern. RE2 is linear in the text, but the factor is the program size:
   * `^(a{1,10}){1,100}$` compiles to 2,203 instructions and took 50–260 ms on a 4 KB claim.
   */
  readonly maxRegexProgramSize: number;
}

export const DEFAULT_CONDITION_LIMITS: ConditionLimits = {
  maxSourceLength: 4096,
  maxBracketNesting: 32,
  maxNodes: 500,
  maxDepth: 64,
  maxComprehensionNesting: 2,
  maxStringLiteralLength: 1024,
  maxRegexLength: 512,
  maxRegexCount: 16,
  maxRegexProgramSize: 256,
};

export const CONDITION_FIELD = 'match.condition';

/** Operators the @bufbuild/cel planner implements itself instead of via the function table. */
const PLANNER_OPERATORS = new Set(['_[_]', '_?_:_', '_&&_', '_||_', '@not_strictly_false', '__not_strictly_false__']);

export interface ConditionAnalysis {
  readonly nodeCount: number;
  readonly maxDepth: number;
  readonly maxComprehensionNesting: number;
  readonly referencesClaims: boolean;
  /** Claim paths read by value (`claims.a.b`, `claims["a"]`); `has()` tests are not included. */
  readonly claimPaths: readonly (readonly string[])[];
  readonly regexLiterals: readonly string[];
}

export interface GuardOptions {
  readonly limits: ConditionLimits;
  readonly isKnownFunction: (name: string) => boolean;
  /** Throws on an invalid pattern, else returns the RE2 program size (instruction count). */
  readonly compileRegex: (pattern: string) => number;
}

function reject(message: string): never {
  throw new RuleValidationError(CONDITION_FIELD, message);
}

/**
 * Cheap lexical pre-check so that pathological nesting is refused before the recursive-descent
 * parser can overflow the stack. Quotes are tracked so brackets inside string literals don't count.
 */
export function checkBracketNesting(source: string, maxNesting: number): void {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') {
      depth++;
      if (depth > maxNesting) reject(`condition is nested too deeply (more than ${maxNesting} levels of brackets)`);
    } else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
  }
}

/** Walks a parsed condition, enforcing the identifier rules and the structural budget. */
export function analyzeCondition(root: Expr, options: GuardOptions): ConditionAnalysis {
  const { limits } = options;
  let nodeCount = 0;
  let maxDepth = 0;
  let maxNesting = 0;
  let referencesClaims = false;
  const claimPaths: string[][] = [];
  const regexLiterals: string[] = [];

  const visit = (expr: Expr | undefined, scope: ReadonlySet<string>, depth: number, nesting: number): void => {
    if (expr === undefined) return;
    nodeCount++;
    if (nodeCount > limits.maxNodes) reject(`condition is too complex (more than ${limits.maxNodes} expression nodes)`);
    if (depth > limits.maxDepth) reject(`condition is nested too deeply (more than ${limits.maxDepth} levels)`);
    maxDepth = Math.max(maxDepth, depth);
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr': {
        const constant = kind.value.constantKind;
        if ((constant.case === 'stringValue' || constant.case === 'bytesValue') && constant.value.length > limits.maxStringLiteralLength) {
          reject(`string literal is too long (more than ${limits.maxStringLiteralLength} characters)`);
        }
        return;
      }
      case 'identExpr': {
        const name = kind.value.name;
        if (scope.has(name)) return;
        if (name !== CLAIMS_VARIABLE) reject(`unknown identifier "${truncate(name)}": only "claims" is available`);
        referencesClaims = true;
        return;
      }
      case 'selectExpr': {
        recordClaimPath(expr);
        visit(kind.value.operand, scope, depth + 1, nesting);
        return;
      }
      case 'callExpr': {
        const call = kind.value;
        if (!PLANNER_OPERATORS.has(call.function) && !options.isKnownFunction(call.function)) {
          reject(`unsupported function or operator "${truncate(call.function)}"`);
        }
        if (call.function === '_[_]') recordClaimPath(expr);
        if (call.function === 'matches') checkRegexArgument(call.target === undefined ? call.args[1] : call.args[0]);
        visit(call.target, scope, depth + 1, nesting);
        for (const arg of call.args) visit(arg, scope, depth + 1, nesting);
        return;
      }
      case 'listExpr':
        for (const element of kind.value.elements) visit(element, scope, depth + 1, nesting);
        return;
      case 'structExpr': {
        if (kind.value.messageName !== '') reject('message construction is not supported in conditions');
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, scope, depth + 1, nesting);
          visit(entry.value, scope, depth + 1, nesting);
        }
        return;
      }
      case 'comprehensionExpr': {
        const comp = kind.value;
        const loopVars = [comp.iterVar, comp.iterVar2].filter((name) => name !== '');
        if (loopVars.includes(CLAIMS_VARIABLE)) reject('"claims" cannot be used as a loop variable');
        const innerNesting = nesting + 1;
        if (innerNesting > limits.maxComprehensionNesting) {
          reject(`too many nested comprehensions (at most ${limits.maxComprehensionNesting} levels of all/exists/map/filter)`);
        }
        maxNesting = Math.max(maxNesting, innerNesting);
        const loopScope = new Set([...scope, ...loopVars, comp.accuVar]);
        const resultScope = new Set([...scope, comp.accuVar]);
        visit(comp.iterRange, scope, depth + 1, nesting);
        visit(comp.accuInit, scope, depth + 1, nesting);
        visit(comp.loopCondition, loopScope, depth + 1, innerNesting);
        visit(comp.loopStep, loopScope, depth + 1, innerNesting);
        visit(comp.result, resultScope, depth + 1, nesting);
        return;
      }
      default:
        reject('condition contains an unsupported expression');
    }
  };

  const recordClaimPath = (expr: Expr): void => {
    const path = claimPathOf(expr);
    if (path !== null && path.length > 0) claimPaths.push(path);
  };

  const checkRegexArgument = (arg: Expr | undefined): void => {
    const kind = arg?.exprKind;
    if (kind?.case !== 'constExpr' || kind.value.constantKind.case !== 'stringValue') {
      reject('matches() needs a string literal pattern (patterns are validated when the rule is saved)');
    }
    const pattern = kind.value.constantKind.value;
    if (pattern.length > limits.maxRegexLength) reject(`regular expression is too long (more than ${limits.maxRegexLength} characters)`);
    let programSize: number;
    try {
      programSize = options.compileRegex(pattern);
    } catch (err) {
      const detail = err instanceof Error ? err.message : 'invalid pattern';
      reject(`invalid regular expression: ${truncate(detail, 200)}`);
    }
    if (programSize > limits.maxRegexProgramSize) {
      reject(
        `regular expression is too complex (${programSize} RE2 instructions, at most ${limits.maxRegexProgramSize}); large counted repetitions such as {1,100} are the usual cause`,
      );
    }
    regexLiterals.push(pattern);
    if (regexLiterals.length > limits.maxRegexCount) reject(`too many matches() calls (at most ${limits.maxRegexCount})`);
  };

  visit(root, new Set(), 1, 0);
  return { nodeCount, maxDepth, maxComprehensionNesting: maxNesting, referencesClaims, claimPaths, regexLiterals };
}

function truncate(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
