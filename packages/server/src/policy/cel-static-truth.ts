import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { CLAIMS_VARIABLE } from './cel-ast.ts';

/** What a condition's result is known to be before any token is seen. */
export type StaticResultKind = 'bool' | 'non_bool' | 'unknown';
export type StaticTruth = true | false | 'unknown';

const BOOL_FUNCTIONS = new Set([
  '_==_',
  '_!=_',
  '_<_',
  '_<=_',
  '_>_',
  '_>=_',
  '_&&_',
  '_||_',
  '!_',
  '@in',
  '@not_strictly_false',
  'startsWith',
  'endsWith',
  'contains',
  'matches',
  'bool',
]);
const NON_BOOL_FUNCTIONS = new Set([
  '_+_',
  '_-_',
  '_*_',
  '_/_',
  '_%_',
  '-_',
  'size',
  'int',
  'uint',
  'double',
  'string',
  'bytes',
  'timestamp',
  'duration',
  'type',
  'getFullYear',
  'getMonth',
  'getDate',
  'getDayOfMonth',
  'getDayOfWeek',
  'getDayOfYear',
  'getHours',
  'getMinutes',
  'getSeconds',
  'getMilliseconds',
]);

/** Best-effort static type of the top of the expression; only certain answers are acted on. */
export function staticResultKind(expr: Expr | undefined): StaticResultKind {
  const kind = expr?.exprKind;
  switch (kind?.case) {
    case 'constExpr':
      return kind.value.constantKind.case === 'boolValue' ? 'bool' : 'non_bool';
    case 'listExpr':
    case 'structExpr':
      return 'non_bool';
    case 'identExpr':
      return kind.value.name === CLAIMS_VARIABLE ? 'non_bool' : 'unknown';
    case 'selectExpr':
      return kind.value.testOnly ? 'bool' : 'unknown';
    case 'callExpr': {
      const fn = kind.value.function;
      if (fn === '_?_:_') return combine(staticResultKind(kind.value.args[1]), staticResultKind(kind.value.args[2]));
      if (BOOL_FUNCTIONS.has(fn)) return 'bool';
      return NON_BOOL_FUNCTIONS.has(fn) ? 'non_bool' : 'unknown';
    }
    case 'comprehensionExpr': {
      const comp = kind.value;
      const result = comp.result?.exprKind;
      // map()/filter() return their accumulator list; exists()/all() their bool accumulator.
      if (result?.case === 'identExpr' && result.value.name === comp.accuVar) return staticResultKind(comp.accuInit);
      return staticResultKind(comp.result);
    }
    default:
      return 'unknown';
  }
}

function combine(a: StaticResultKind, b: StaticResultKind): StaticResultKind {
  return a === b ? a : 'unknown';
}

/**
 * Three-valued constant folding over the boolean skeleton. Sub-expressions that read no
 * variable are handed to `evaluateClosed` (the real evaluator, so folding agrees with runtime);
 * everything touching `claims` stays unknown. Catches `true`, `1 == 1`, `true || claims.x == "a"`,
 * `claims.x == "a" && false`; it is not a tautology prover.
 */
export function staticTruth(expr: Expr | undefined, evaluateClosed: (expr: Expr) => unknown): StaticTruth {
  if (expr === undefined) return 'unknown';
  const kind = expr.exprKind;
  if (kind.case === 'callExpr') {
    const [a, b, c] = kind.value.args;
    switch (kind.value.function) {
      case '!_': {
        const inner = staticTruth(a, evaluateClosed);
        return inner === 'unknown' ? inner : !inner;
      }
      case '_||_': {
        const left = staticTruth(a, evaluateClosed);
        const right = staticTruth(b, evaluateClosed);
        if (left === true || right === true) return true;
        return left === false && right === false ? false : 'unknown';
      }
      case '_&&_': {
        const left = staticTruth(a, evaluateClosed);
        const right = staticTruth(b, evaluateClosed);
        if (left === false || right === false) return false;
        return left === true && right === true ? true : 'unknown';
      }
      case '_?_:_': {
        const cond = staticTruth(a, evaluateClosed);
        if (cond !== 'unknown') return staticTruth(cond ? b : c, evaluateClosed);
        const yes = staticTruth(b, evaluateClosed);
        return yes !== 'unknown' && yes === staticTruth(c, evaluateClosed) ? yes : 'unknown';
      }
    }
  }
  if (freeVariables(expr, new Set()).size > 0) return 'unknown';
  const value = evaluateClosed(expr);
  return typeof value === 'boolean' ? value : 'unknown';
}

/** Identifiers used but not bound inside `expr` (loop variables are bound by their macro). */
export function freeVariables(expr: Expr | undefined, bound: ReadonlySet<string>, into = new Set<string>()): Set<string> {
  const kind = expr?.exprKind;
  switch (kind?.case) {
    case 'identExpr':
      if (!bound.has(kind.value.name)) into.add(kind.value.name);
      break;
    case 'selectExpr':
      freeVariables(kind.value.operand, bound, into);
      break;
    case 'callExpr':
      freeVariables(kind.value.target, bound, into);
      for (const arg of kind.value.args) freeVariables(arg, bound, into);
      break;
    case 'listExpr':
      for (const element of kind.value.elements) freeVariables(element, bound, into);
      break;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') freeVariables(entry.keyKind.value, bound, into);
        freeVariables(entry.value, bound, into);
      }
      break;
    case 'comprehensionExpr': {
      const comp = kind.value;
      const loopBound = new Set([...bound, comp.iterVar, comp.iterVar2, comp.accuVar]);
      freeVariables(comp.iterRange, bound, into);
      freeVariables(comp.accuInit, bound, into);
      freeVariables(comp.loopCondition, loopBound, into);
      freeVariables(comp.loopStep, loopBound, into);
      freeVariables(comp.result, new Set([...bound, comp.accuVar]), into);
      break;
    }
    default:
      break;
  }
  return into;
}
