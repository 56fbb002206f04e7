import { Type } from 'typebox';
import { badRequest } from '../http/errors.ts';
import type { CursorPage, CursorQuery } from '../storage/ports.ts';

/** PageCursor query (spec §2.4): `limit` 1–100, default 20, and the opaque `page` cursor. */
export const PageCursorQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  page: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
};

export const DEFAULT_LIMIT = 20;

export function cursorQuery(query: { limit?: number; page?: string }): CursorQuery {
  return { limit: query.limit ?? DEFAULT_LIMIT, cursor: query.page ?? null };
}

export interface PageCursorBody<T> {
  data: T[];
  next_page: string | null;
}

export function pageCursorBody<D, T>(page: CursorPage<D>, present: (item: D) => T): PageCursorBody<T> {
  return { data: page.items.map(present), next_page: page.nextCursor };
}

const WorkspaceIdString = Type.String({ minLength: 1, maxLength: 128 });
/** A single `ids[]=x` reaches us as a string, repeated ones as an array. */
const IdList = Type.Union([Type.Array(WorkspaceIdString), WorkspaceIdString]);

/** The legacy Page query of List Workspaces (spec §2.4): `limit` 1–1000 and id anchors. */
export const WorkspacePageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  after_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  before_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  include_archived: Type.Optional(Type.Boolean()),
  include_default: Type.Optional(Type.Boolean()),
  ids: Type.Optional(IdList),
  'ids[]': Type.Optional(IdList),
};

export const MAX_WORKSPACE_IDS = 100;

/** `ids` arrives as `ids[]=…` from the SDK (brackets array format) or as repeated `ids=…`. */
export function workspaceIdsFilter(query: { ids?: string[] | string; 'ids[]'?: string[] | string }): string[] | null {
  if (query.ids === undefined && query['ids[]'] === undefined) return null;
  const ids = [query.ids ?? [], query['ids[]'] ?? []].flat();
  if (ids.length > MAX_WORKSPACE_IDS) throw badRequest(`ids: at most ${MAX_WORKSPACE_IDS} IDs may be given`);
  return ids;
}

export interface PageBody<T extends { id: string }> {
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export function pageBody<T extends { id: string }>(data: T[], hasMore: boolean): PageBody<T> {
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}
