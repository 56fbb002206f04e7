import type { FastifyReply } from 'fastify';
import type { AdminApi } from '../admin-api.ts';
import { sendHtml, type ConsoleContext } from '../context.ts';
import type { SafeHtml } from '../html.ts';
import { page, type PageOptions } from '../layout.ts';
import type { CursorList, IssuerWire, ServiceAccountWire, WorkspaceList, WorkspaceWire } from '../wire.ts';

/**
 * Renders a signed-in page; the header shows the organization's name from the API. A form shown
 * again with the API's errors is a normal 200 page: browsers log any 4xx document as a console error.
 */
export async function renderPage(
  ctx: ConsoleContext,
  reply: FastifyReply,
  options: Omit<PageOptions, 'organizationName'>,
  content: SafeHtml,
): Promise<FastifyReply> {
  const organization = await ctx.api.read<{ name: string }>('/v1/organizations/me');
  return sendHtml(reply, page(ctx, { ...options, organizationName: organization.name }, content));
}

/** Pick lists on forms show at most this many items; more means the admin should type an ID. */
export const PICK_LIST_LIMIT = 100;

export interface ListedWorkspace extends WorkspaceWire {
  isDefault: boolean;
}

/** Live workspaces, default first. The wire object has no is_default: the default is the one only `include_default` lists. */
export async function liveWorkspaces(api: AdminApi): Promise<{ workspaces: ListedWorkspace[]; hasMore: boolean }> {
  const all = await api.read<WorkspaceList>('/v1/organizations/workspaces', { limit: PICK_LIST_LIMIT, include_default: true });
  const others = await api.read<WorkspaceList>('/v1/organizations/workspaces', { limit: PICK_LIST_LIMIT, include_default: false });
  const nonDefault = new Set(others.data.map((w) => w.id));
  const workspaces = all.data.map((w) => ({ ...w, isDefault: !nonDefault.has(w.id) && !all.has_more }));
  workspaces.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  return { workspaces, hasMore: all.has_more };
}

export function workspaceLabel(workspace: ListedWorkspace): string {
  return workspace.isDefault ? `${workspace.name} (default)` : workspace.name;
}

export async function liveServiceAccounts(api: AdminApi): Promise<ServiceAccountWire[]> {
  return (await api.read<CursorList<ServiceAccountWire>>('/v1/organizations/service_accounts', { limit: PICK_LIST_LIMIT })).data;
}

export async function liveIssuers(api: AdminApi): Promise<IssuerWire[]> {
  return (await api.read<CursorList<IssuerWire>>('/v1/organizations/federation_issuers', { limit: PICK_LIST_LIMIT })).data;
}

/** "3" or "100+" when the API has another page. */
export function countLabel(list: { data: unknown[]; next_page?: string | null; has_more?: boolean }): string {
  const more = (list.next_page ?? null) !== null || list.has_more === true;
  return more ? `${list.data.length}+` : String(list.data.length);
}

/** `?page=…` cursors are opaque API values; anything odd is dropped rather than forwarded. */
export function cursorParam(query: unknown): string | undefined {
  const page = (query as { page?: unknown } | null)?.page;
  return typeof page === 'string' && page.length > 0 && page.length <= 512 ? page : undefined;
}

export function queryParam(query: unknown, name: string, maxLength = 128): string {
  const value = (query as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' && value.length <= maxLength ? value.trim() : '';
}
