import { parse } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { childExpressions, CLAIMS_VARIABLE } from './cel-ast.ts';

/**
 * Which claims a condition *requires* by value: the claim paths read inside the top-level `&&`
 * conjuncts that contain no `||`, `!` or `!=` (those can be satisfied without the claim having
 * the pinned value). `has(claims.x)` and a claim name inside a string literal don't count.
 * Used for the tenant-pinning check, so it errs towards "not pinned".
 */
export function requiredClaimPaths(source: string): string[][] {
  let root: Expr;
  try {
    root = parse(source).expr;
  } catch {
    return [];
  }
  return conjuncts(root)
    .filter((conjunct) => !containsWeakening(conjunct))
    .flatMap(claimPathsIn);
}

const WEAKENING_OPERATORS = new Set(['_||_', '!_', '_!=_', '_?_:_']);

function conjuncts(expr: Expr): Expr[] {
  const kind = expr.exprKind;
  if (kind.case === 'callExpr' && kind.value.function === '_&&_') return kind.value.args.flatMap(conjuncts);
  return [expr];
}

function containsWeakening(expr: Expr): boolean {
  const kind = expr.exprKind;
  if (kind.case === 'callExpr' && WEAKENING_OPERATORS.has(kind.value.function)) return true;
  // A comprehension can satisfy itself without reading the claim (e.g. all() over an empty list).
  if (kind.case === 'comprehensionExpr') return true;
  return childExpressions(expr).some(containsWeakening);
}

function claimPathsIn(expr: Expr): string[][] {
  const path = claimPathOf(expr);
  const own = path === null || path.length === 0 ? [] : [path];
  return [...own, ...childExpressions(expr).flatMap(claimPathsIn)];
}

/** `claims.a.b` / `claims["a"].b` → ['a', 'b']; null for anything else (including has()). */
export function claimPathOf(expr: Expr): string[] | null {
  const path: string[] = [];
  let current: Expr | undefined = expr;
  while (current !== undefined) {
    const kind: Expr['exprKind'] = current.exprKind;
    if (kind.case === 'selectExpr') {
      if (kind.value.testOnly) return null;
      path.unshift(kind.value.field);
      current = kind.value.operand;
    } else if (kind.case === 'callExpr' && kind.value.function === '_[_]' && kind.value.args.length === 2) {
      const key = kind.value.args[1]?.exprKind;
      if (key?.case !== 'constExpr' || key.value.constantKind.case !== 'stringValue') return null;
      path.unshift(key.value.constantKind.value);
      current = kind.value.args[0];
    } else if (kind.case === 'identExpr') {
      return kind.value.name === CLAIMS_VARIABLE ? path : null;
    } else {
      return null;
    }
  }
  return null;
}
