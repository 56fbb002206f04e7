import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { AdminApi } from './admin-api.ts';
import type { SafeHtml } from './html.ts';
import type { SignedInSession } from './session.ts';

/** What every signed-in console handler works with. */
export interface ConsoleContext {
  session: SignedInSession;
  csrfToken: string;
  api: AdminApi;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's session hook; null outside the signed-in console scope. */
    consoleContext: ConsoleContext | null;
  }
}

export function newContext(root: FastifyInstance, session: SignedInSession, csrfToken: string): ConsoleContext {
  return { session, csrfToken, api: new AdminApi(root, session.id) };
}

export function contextOf(request: FastifyRequest): ConsoleContext {
  if (request.consoleContext === null) throw new Error('console page reached without a session');
  return request.consoleContext;
}

export function sendHtml(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.value);
}

/** Post/Redirect/Get. htmx requests get HX-Redirect so the whole page changes, not a fragment. */
export function redirect(request: FastifyRequest, reply: FastifyReply, location: string): FastifyReply {
  if (request.headers['hx-request'] === 'true') return reply.code(204).header('hx-redirect', location).send();
  return reply.code(303).header('location', location).send();
}

/** Reads one form field as a trimmed string ('' when absent or not a single value). */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A repeated form field (`claim_key` rows) as a list of strings. */
export function fieldList(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
