import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../admin/admin-caller.ts';
import { quote } from '../admin/memberships.ts';
import { pageCursorBody } from '../admin/pagination.ts';
import type { AppDeps } from '../app.ts';
import type { AuthEvent } from '../domain/types.ts';
import { notFound } from '../http/errors.ts';
import { EventListQuery, eventStoreQuery } from './event-query.ts';

export const EVENTS_BASE = '/v1/organizations/federation_events';

const Params = Type.Object({ event_id: Type.String() });

/**
 * OpenWIF extension (spec §8 Decision, docs/diagnostics.md): the authentication history of the
 * caller's organization, newest first. Every store call is scoped by the caller's organization,
 * so another organization's events are indistinguishable from events that do not exist.
 */
export async function eventRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.get(EVENTS_BASE, { schema: { querystring: EventListQuery } }, async (request) => {
    const page = await deps.stores.authEvents.list(callerOf(request).organizationId, eventStoreQuery(request.query));
    return pageCursorBody(page, presentAuthEvent);
  });

  app.get(`${EVENTS_BASE}/:event_id`, { schema: { params: Params } }, async (request) => {
    const event = await deps.stores.authEvents.get(callerOf(request).organizationId, request.params.event_id);
    if (!event) throw notFound(`Federation authentication event ${quote(request.params.event_id)} not found.`);
    return presentAuthEvent(event);
  });
}

/** The wire shape; `organization_id` is left out (always the caller's own). */
export function presentAuthEvent(event: AuthEvent) {
  return {
    type: 'federation_authentication_event' as const,
    id: event.id,
    created_at: event.created_at,
    request_id: event.request_id,
    outcome: event.outcome,
    reason: event.reason,
    detail: event.detail,
    federation_rule_id: event.federation_rule_id,
    issuer_id: event.issuer_id,
    service_account_id: event.service_account_id,
    workspace_id: event.workspace_id,
    requested_service_account_id: event.requested_service_account_id,
    subject: event.subject,
    jti: event.jti,
    claims: event.claims,
    ip_address: event.ip_address,
    user_agent: event.user_agent,
  };
}
