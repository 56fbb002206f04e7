/**
 * Runs the official cel-spec conformance data (shipped in @bufbuild/cel-spec) through the exact
 * CEL environment rule conditions use (our RE2 cache and meter included), so a library upgrade
 * or an environment change that loses standard-library behaviour fails here. docs/cel.md lists
 * the per-suite figures; the floors below are the measured counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { celUint, isCelError, isCelList, isCelMap, isCelType, isCelUint, parse, plan, type CelInput } from '@bufbuild/cel';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { isReflectMessage } from '@bufbuild/protobuf/reflect';
import { toBinary, type Registry } from '@bufbuild/protobuf';
import type { Value } from '@bufbuild/cel-spec/cel/expr/value_pb.js';
import { getConformanceSuite, type IncrementalTest } from '@bufbuild/cel-spec/testdata/tests.js';
import { getTestRegistry } from '@bufbuild/cel-spec/testdata/registry.js';
import { createPolicyCelEnv } from '../../src/policy/cel-environment.ts';
import { DEFAULT_EVALUATION_LIMITS, EvaluationMeter } from '../../src/policy/evaluation-meter.ts';
import { RegexCache } from '../../src/policy/regex-cache.ts';

/** Measured passes per core suite (stack.md §3.2 lists the same subset). */
const PASS_FLOOR: Record<string, number> = {
  basic: 43,
  comparisons: 362,
  conversions: 109,
  fields: 53,
  fp_math: 30,
  integer_math: 64,
  lists: 39,
  logic: 30,
  macros: 44,
  macros2: 8,
  parse: 193,
  plumbing: 5,
  string: 51,
  timestamps: 76,
};
const TOTAL_FLOOR = 1107;

const registry: Registry = getTestRegistry();

function valueToInput(value: Value): CelInput {
  const kind = value.kind;
  switch (kind.case) {
    case 'nullValue':
      return null;
    case 'boolValue':
    case 'stringValue':
    case 'doubleValue':
    case 'int64Value':
    case 'bytesValue':
      return kind.value;
    case 'uint64Value':
      return celUint(kind.value);
    case 'listValue':
      return kind.value.values.map(valueToInput);
    case 'mapValue':
      return new Map(kind.value.entries.map((e) => [valueToInput(e.key!) as string, valueToInput(e.value!)]));
    case 'objectValue': {
      const message = anyUnpack(kind.value, registry);
      if (message === undefined) throw new Error('unknown message type');
      return message as CelInput;
    }
    default:
      throw new Error(`unsupported binding ${kind.case}`);
  }
}

/** One canonical string per value so results and expectations compare without a CEL runtime. */
function canonicalExpected(value: Value): string {
  const kind = value.kind;
  switch (kind.case) {
    case 'nullValue':
      return 'null';
    case 'boolValue':
      return `bool:${kind.value}`;
    case 'int64Value':
      return `int:${kind.value}`;
    case 'uint64Value':
      return `uint:${kind.value}`;
    case 'doubleValue':
      return `double:${kind.value}`;
    case 'stringValue':
      return `string:${JSON.stringify(kind.value)}`;
    case 'bytesValue':
      return `bytes:${Buffer.from(kind.value).toString('hex')}`;
    case 'listValue':
      return `[${kind.value.values.map(canonicalExpected).join(',')}]`;
    case 'mapValue':
      return `{${kind.value.entries
        .map((e) => `${canonicalExpected(e.key!)}=>${canonicalExpected(e.value!)}`)
        .sort()
        .join(',')}}`;
    case 'typeValue':
      return `type:${kind.value}`;
    case 'objectValue': {
      const message = anyUnpack(kind.value, registry);
      if (message === undefined) return 'object:?';
      const desc = registry.getMessage(message.$typeName);
      return `object:${message.$typeName}:${desc ? Buffer.from(toBinary(desc, message)).toString('hex') : '?'}`;
    }
    default:
      return `unsupported:${kind.case}`;
  }
}

function canonicalResult(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `bool:${value}`;
  if (typeof value === 'bigint') return `int:${value}`;
  if (typeof value === 'number') return `double:${value}`;
  if (typeof value === 'string') return `string:${JSON.stringify(value)}`;
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (isCelUint(value)) return `uint:${value.value}`;
  if (isCelList(value)) return `[${Array.from(value, canonicalResult).join(',')}]`;
  if (isCelMap(value))
    return `{${Array.from(value, ([k, v]) => `${canonicalResult(k)}=>${canonicalResult(v)}`)
      .sort()
      .join(',')}}`;
  if (isCelType(value)) return `type:${value.name}`;
  if (isReflectMessage(value)) return `object:${value.desc.typeName}:${Buffer.from(toBinary(value.desc, value.message)).toString('hex')}`;
  return 'unsupported';
}

function isRunnable(t: IncrementalTest): boolean {
  const o = t.original;
  if (o.container !== '' || o.checkOnly || o.disableMacros) return false;
  return ['value', 'evalError', 'typedResult', 'anyEvalErrors'].includes(o.resultMatcher.case ?? '');
}

function runOne(t: IncrementalTest, evaluate: (expr: string, bindings: Record<string, CelInput>) => unknown): boolean {
  try {
    const bindings = Object.fromEntries(
      Object.entries(t.original.bindings).map(([name, expr]) => {
        if (expr.kind.case !== 'value') throw new Error('non-value binding');
        return [name, valueToInput(expr.kind.value)];
      }),
    );
    const result = evaluate(t.original.expr, bindings);
    const matcher = t.original.resultMatcher;
    switch (matcher.case) {
      case 'evalError':
      case 'anyEvalErrors':
        return isCelError(result);
      case 'value':
        return !isCelError(result) && canonicalResult(result) === canonicalExpected(matcher.value);
      case 'typedResult':
        return !isCelError(result) && matcher.value.result !== undefined && canonicalResult(result) === canonicalExpected(matcher.value.result);
      default:
        return false;
    }
  } catch {
    return false; // parse errors and unsupported bindings count as failures
  }
}

test('cel-spec conformance: core suites pass at least the measured counts', () => {
  const meter = new EvaluationMeter(DEFAULT_EVALUATION_LIMITS, () => performance.now());
  const env = createPolicyCelEnv({ regexCache: new RegexCache(64), meter });
  const evaluate = (expr: string, bindings: Record<string, CelInput>): unknown => {
    meter.start();
    return plan(env, parse(expr))(bindings);
  };
  const measured: Record<string, string> = {};
  let total = 0;
  let passed = 0;
  for (const suite of getConformanceSuite().suites) {
    const floor = PASS_FLOOR[suite.name];
    if (floor === undefined) continue;
    const tests = suite.suites.flatMap((section) => section.tests).filter(isRunnable);
    const ok = tests.filter((t) => runOne(t, evaluate)).length;
    measured[suite.name] = `${ok}/${tests.length}`;
    total += tests.length;
    passed += ok;
    assert.ok(ok >= floor, `suite ${suite.name}: ${ok} passed, floor ${floor}`);
  }
  console.log(`conformance ${passed}/${total}`, JSON.stringify(measured));
  assert.ok(passed >= TOTAL_FLOOR, `total ${passed}/${total}, floor ${TOTAL_FLOOR}`);
  assert.equal(Object.keys(measured).length, Object.keys(PASS_FLOOR).length, 'every core suite must be present');
});
