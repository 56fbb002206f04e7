/**
 * Near-miss text for the admin "why was I denied?" trace. Token values are untrusted: they are
 * truncated and stripped of control characters before they reach any log line or page.
 */
import { printable } from '../domain/printable.ts';

const DEFAULT_MAX = 80;

export function describeValue(value: unknown, max = DEFAULT_MAX): string {
  if (value === undefined) return 'nothing (claim missing)';
  if (typeof value === 'string') return JSON.stringify(printable(value, max, '?'));
  if (Array.isArray(value)) {
    const shown = value.slice(0, 5).map((item) => describeValue(item, 40));
    return `[${shown.join(', ')}${value.length > 5 ? `, … ${value.length - 5} more` : ''}]`;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return `${String(value)} (${value === null ? 'null' : typeof value})`;
  return `a ${typeof value === 'object' ? 'JSON object' : typeof value}`;
}

/** "subject differs after N matching characters: expected …x, got …y" */
export function describeMismatch(expected: string, got: string, mode: 'exact' | 'prefix'): string {
  let same = 0;
  while (same < expected.length && same < got.length && expected[same] === got[same]) same++;
  if (same === got.length && got.length < expected.length) {
    return `value is shorter than expected: matches the first ${same} characters, then ends (expected ${describeValue(expected)})`;
  }
  if (mode === 'exact' && same === expected.length) {
    return `value has ${got.length - same} extra characters after the expected ${describeValue(expected)} (exact match required; end the rule value with * for a prefix match)`;
  }
  const start = Math.max(0, same - 10);
  const ellipsis = start > 0 ? '…' : '';
  return `differs after ${same} matching characters: expected ${ellipsis}${describeValue(expected.slice(start), 40)}, got ${ellipsis}${describeValue(got.slice(start), 40)}`;
}
