import { Type, type Static } from 'typebox';
import { PageCursorQuery, cursorQuery } from '../admin/pagination.ts';
import { DENY_REASONS } from '../exchange/deny-reasons.ts';
import { badRequest } from '../http/errors.ts';
import type { AuthEventQuery } from '../storage/ports.ts';
import { isoAtMs, parseRfc3339 } from './rfc3339.ts';

const TaggedId = Type.String({ minLength: 1, maxLength: 128 });

export const EventListQuery = Type.Object({
  ...PageCursorQuery,
  federation_rule_id: Type.Optional(TaggedId),
  issuer_id: Type.Optional(TaggedId),
  outcome: Type.Optional(Type.Enum(['success', 'denied'])),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  created_after: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  created_before: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type EventListQuery = Static<typeof EventListQuery>;

// Stored timestamps compare as text, which holds only for four-digit years.
const EARLIEST_MS = Date.UTC(1000, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Query string → store query. Both time bounds are exclusive: `created_after=T` keeps events
 * strictly later than T, `created_before=T` strictly earlier. A reason that is not in the
 * catalog is a 400 (a typo would otherwise look like "no such events").
 */
export function eventStoreQuery(query: EventListQuery): AuthEventQuery {
  if (query.reason !== undefined && !Object.hasOwn(DENY_REASONS, query.reason)) {
    throw badRequest(`reason: unknown reason code ${JSON.stringify(query.reason)}; see docs/reason-codes.md for the list`);
  }
  const after = query.created_after === undefined ? null : timeBound('created_after', query.created_after);
  const before = query.created_before === undefined ? null : timeBound('created_before', query.created_before);
  if (after !== null && before !== null && after >= before) throw badRequest('created_after: must be earlier than created_before');
  return {
    ...cursorQuery(query),
    ruleId: query.federation_rule_id ?? null,
    issuerId: query.issuer_id ?? null,
    outcome: query.outcome ?? null,
    reason: query.reason ?? null,
    // The store's lower bound is inclusive and its upper bound exclusive, on whole milliseconds.
    createdAfter: after === null ? null : isoAtMs(Math.floor(after) + 1),
    createdBefore: before === null ? null : isoAtMs(Math.ceil(before)),
  };
}

function timeBound(field: string, text: string): number {
  // An unencoded "+02:00" arrives as " 02:00" (form decoding turns + into a space).
  const ms = parseRfc3339(field, text.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (ms < EARLIEST_MS || ms > LATEST_MS) throw badRequest(`${field}: must be between the years 1000 and 9999`);
  return ms;
}
