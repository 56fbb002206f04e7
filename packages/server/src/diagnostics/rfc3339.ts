import { badRequest } from '../http/errors.ts';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time as epoch milliseconds, keeping sub-millisecond precision as a fraction
 * so a bound can be rounded the right way. Date.parse is not used: it accepts many other forms.
 */
export function parseRfc3339(field: string, text: string): number {
  const m = RFC3339.exec(text);
  if (!m) throw badRequest(`${field}: must be an RFC 3339 date-time such as 2026-01-31T09:30:00Z`);
  const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = m;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  const wholeMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wholeMs);
  // Date.UTC rolls 2026-02-30 over into March; an impossible date is the caller's mistake.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw badRequest(`${field}: ${JSON.stringify(text)} is not a valid date-time`);
  }
  const fractionMs = fraction === '' ? 0 : Number(`0${fraction}`) * 1000;
  return wholeMs + fractionMs - offsetMs(offset);
}

function offsetMs(offset: string): number {
  if (offset === 'Z' || offset === 'z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  return sign * (hours * 60 + minutes) * 60_000;
}

/** Stored timestamps are `toISOString()` text (whole milliseconds), so bounds become that too. */
export function isoAtMs(ms: number): string {
  return new Date(ms).toISOString();
}
