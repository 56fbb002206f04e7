import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

/** The only variable a rule condition may read. */
export const CLAIMS_VARIABLE = 'claims';

/** Direct sub-expressions of a CEL AST node, in source order (scope-agnostic). */
export function childExpressions(expr: Expr): Expr[] {
  const kind = expr.exprKind;
  const children: (Expr | undefined)[] =
    kind.case === 'selectExpr'
      ? [kind.value.operand]
      : kind.case === 'callExpr'
        ? [kind.value.target, ...kind.value.args]
        : kind.case === 'listExpr'
          ? kind.value.elements
          : kind.case === 'structExpr'
            ? kind.value.entries.flatMap((entry) => [entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined, entry.value])
            : kind.case === 'comprehensionExpr'
              ? [kind.value.iterRange, kind.value.accuInit, kind.value.loopCondition, kind.value.loopStep, kind.value.result]
              : [];
  return children.filter((child): child is Expr => child !== undefined);
}
