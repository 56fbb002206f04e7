import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.ts';
import { HttpError } from '../http/errors.ts';
import { forwardHandler, type ForwardContext } from './forward-handler.ts';
import { gatewayRoutesFor } from './forwarded-paths.ts';
import { HttpUpstream } from './http-upstream.ts';
import { InMemoryRateLimiter } from './in-memory-rate-limiter.ts';
import { resolveGatewayOptions, type GatewayOptions, type UpstreamTimeouts } from './options.ts';
import { StandInUpstream } from './stand-in/stand-in-upstream.ts';
import { upstreamCredentialRoutes } from './upstream-credential.routes.ts';

export type { GatewayOptions, UpstreamTimeouts } from './options.ts';
export type { RateLimiter, RateDecision, ConcurrencySlot, RateLimits } from './rate-limiter.ts';
export { InMemoryRateLimiter } from './in-memory-rate-limiter.ts';
export { createStandInServer } from './stand-in/stand-in-server.ts';
export { StandInUpstream } from './stand-in/stand-in-upstream.ts';

export type GatewayRouteOptions = Partial<Omit<GatewayOptions, 'timeouts'>> & { timeouts?: Partial<UpstreamTimeouts> };

/**
 * The gateway (issue 8): `/v1/messages` (+ streaming), `/v1/messages/count_tokens`,
 * `/v1/models[/{id}]` and the allow-listed `/v1/*` paths, forwarded to the upstream API with the
 * workspace's upstream key; plus the Admin API extension that sets that key. With no upstream
 * URL configured the gateway answers 503, or, under `openwif dev`, the built-in stand-in model.
 */
export async function gatewayRoutes(app: FastifyInstance, deps: AppDeps, options: GatewayRouteOptions = {}): Promise<void> {
  const resolved = resolveGatewayOptions(options);
  const limits = { requestsPerMinute: deps.settings.gatewayRequestsPerMinute, maxConcurrent: deps.settings.gatewayMaxConcurrent };
  const httpUpstream = deps.settings.upstreamUrl !== null ? new HttpUpstream(deps.settings.upstreamUrl, resolved.timeouts) : null;
  const ctx: ForwardContext = {
    deps,
    upstream: httpUpstream ?? (resolved.standIn ? new StandInUpstream() : null),
    needsUpstreamKey: httpUpstream !== null,
    limiter: resolved.rateLimiter ?? deps.stores.sharedRateLimiter?.(limits) ?? new InMemoryRateLimiter(limits),
    options: resolved,
  };

  await app.register(async (scope) => {
    // Bodies are streamed to the upstream untouched: no parsing, any content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    // A callback hook, not an async one: it runs on every gateway call, and a promise per call is not free.
    scope.addHook('onRequest', (request, reply, done) => {
      reply.header('openwif-request-id', request.id);
      done();
    });
    scope.addHook('onClose', async () => httpUpstream?.close());
    const handler = forwardHandler(ctx);
    for (const route of gatewayRoutesFor(deps.settings.gatewayAllowPaths)) {
      scope.route({ method: route.methods, url: route.url, handler, exposeHeadRoute: false });
      const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !route.methods.includes(m));
      if (others.length > 0) scope.route({ method: others, url: route.url, handler: methodNotAllowed(route.methods), exposeHeadRoute: false });
    }
  });
  await upstreamCredentialRoutes(app, deps);
}

function methodNotAllowed(allowed: readonly string[]) {
  const allow = [...allowed].sort().join(', ');
  return async (_request: unknown, reply: FastifyReply) => {
    reply.header('allow', allow);
    throw new HttpError(405, 'method_not_allowed_error', `Method not allowed on this path; allowed: ${allow}.`);
  };
}
