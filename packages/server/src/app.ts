import Fastify, { type FastifyInstance } from 'fastify';
import { destination } from 'pino';
import type { Settings } from './config/settings.ts';
import { adminRoutes } from './admin/index.ts';
import { consoleRoutes } from './console/index.ts';
import { diagnosticsRoutes } from './diagnostics/index.ts';
import { gatewayRoutes, type GatewayRouteOptions } from './gateway/index.ts';
import { tokenRoutes } from './exchange/token-route.ts';
import type { RuleMatcherCache } from './exchange/rule-matchers.ts';
import { installErrorHandling, sendError } from './http/error-handler.ts';
import { installStrictJsonParser } from './http/strict-json-body.ts';
import { collectOpenApi } from './openapi/collect-openapi.ts';
import { registerOpenApiRoute } from './openapi/openapi-route.ts';
import { HttpError } from './http/errors.ts';
import { newRequestId } from './http/request-id.ts';
import type { Metrics } from './observability/metrics.ts';
import type { ConfigCache } from './storage/config-cache.ts';
import type { Stores } from './storage/ports.ts';
import type { KeyResolver } from './trust/key-resolver.ts';
import type { OutboundPolicy } from './trust/outbound-policy.ts';

export interface AppDeps {
  settings: Settings;
  stores: Stores;
  /** The exchange's and the gateway's configuration reads, cached but never stale. */
  config: ConfigCache;
  keys: KeyResolver;
  matching: RuleMatcherCache;
  outbound: OutboundPolicy;
  metrics: Metrics;
  now: () => Date;
  /** Gateway timeouts, limits and rate limiter; defaults when omitted. */
  gateway?: GatewayRouteOptions;
}

const ADMIN_BODY_LIMIT = 256 * 1024;

/**
 * Logs go to stdout synchronously. pino's default asynchronous destination flushes at exit and,
 * when stdout is a broken pipe (the supervisor or `| head` went away), retries that flush forever:
 * the process never exits, SIGTERM or not. A synchronous write gives up on EPIPE and logging stops.
 */
const stdoutLog = destination({ dest: 1, sync: true });

/** Every plugin registered explicitly, in request-flow order. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: deps.settings.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[Redacted]' },
      stream: stdoutLog,
    },
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    bodyLimit: ADMIN_BODY_LIMIT,
    // Slow clients: headers within 10 s, the whole request within 30 s.
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // Node checks the header/request deadlines only this often (30 s by default).
    http: { connectionsCheckingInterval: 1_000 },
    routerOptions: { maxParamLength: 200 },
    trustProxy: false,
    // Errors the router raises before any route runs (bad percent-encoding, …) use the envelope too.
    frameworkErrors: (err, _request, reply) => {
      void sendError(reply, new HttpError(400, 'invalid_request_error', err.code === 'FST_ERR_BAD_URL' ? 'Malformed URL.' : 'Invalid request.'));
    },
  });
  app.server.headersTimeout = 10_000;
  const buildOpenApi = collectOpenApi(app, { title: 'OpenWIF', version: '0.1.0', include: (route) => !route.url.startsWith('/console') });
  installStrictJsonParser(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('request-id', request.id);
    // No route takes control characters in its path or query; NUL would even break PostgreSQL.
    if (/%(?:0[0-9a-f]|1[0-9a-f]|7f)/i.test(request.url))
      throw new HttpError(400, 'invalid_request_error', 'Malformed URL: control characters are not allowed.');
  });
  installErrorHandling(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await deps.stores.health();
    const ready = Object.values(checks).every((state) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', ...checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  await tokenRoutes(app, deps);
  await adminRoutes(app, deps);
  await diagnosticsRoutes(app, deps);
  await gatewayRoutes(app, deps, deps.gateway);
  await consoleRoutes(app, deps);
  registerOpenApiRoute(app, buildOpenApi);
  return app;
}
