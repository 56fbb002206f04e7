import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { parseExchangeRequest, MAX_ASSERTION_BYTES } from './parse-request.ts';
import { runExchange, type ExchangeDeps } from './run-exchange.ts';

/** Room for the assertion plus the other fields; anything larger is refused with 413 unread. */
const BODY_LIMIT = MAX_ASSERTION_BYTES + 4 * 1024;

/**
 * POST /v1/oauth/token. JSON (what the SDKs send) and form encoding (RFC 6749 tooling) both
 * parse into the same field map; the `anthropic-beta` header is neither required nor checked.
 */
export async function tokenRoutes(app: FastifyInstance, deps: ExchangeDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: BODY_LIMIT });
    scope.post('/v1/oauth/token', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
      const parsed = parseExchangeRequest(request.body);
      const stopTimer = deps.metrics.exchangeSeconds.startTimer();
      let result: Awaited<ReturnType<typeof runExchange>>;
      try {
        result = await runExchange(
          parsed,
          { requestId: String(request.id), ipAddress: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null },
          deps,
        );
      } catch (err) {
        stopTimer({ outcome: 'denied' });
        throw err;
      }
      stopTimer({ outcome: 'success' });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(result);
    });
  });
}
