import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { InvalidCursorError, type CursorPage } from '../ports.ts';

/** Newest-first keyset pagination over (created_at, id): stable under concurrent inserts. */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((v) => typeof v === 'string' && v.length <= 128)) {
      return { createdAt: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // fall through: any undecodable cursor is the caller's mistake
  }
  throw new InvalidCursorError('page: invalid or expired page cursor');
}

/** `(created_at, id) < cursor` written out, since row-value comparison is not portable everywhere. */
export function olderThan(cursor: string | null, table: string, idColumn = `${table}.id`): Expression<SqlBool> {
  if (cursor === null) return sql<SqlBool>`1 = 1`;
  const { createdAt, id } = decodeCursor(cursor);
  const c = sql.ref(`${table}.created_at`);
  const i = sql.ref(idColumn);
  return sql<SqlBool>`(${c} < ${createdAt} or (${c} = ${createdAt} and ${i} < ${id}))`;
}

/**
 * Runs a list query newest first, by (created_at, id), one row past the page so toPage can tell
 * whether there is more. `any`: the query may be over any table with those two columns.
 */
export function fetchNewestFirst<O>(query: SelectQueryBuilder<any, any, O>, limit: number): Promise<O[]> {
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}

/** Fetch `limit + 1` rows, then call this to build the page. */
export function toPage<R extends { created_at: string }, T>(rows: R[], limit: number, keyOf: (row: R) => string, map: (row: R) => T): CursorPage<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(map),
    nextCursor: hasMore && last ? encodeCursor(last.created_at, keyOf(last)) : null,
  };
}
