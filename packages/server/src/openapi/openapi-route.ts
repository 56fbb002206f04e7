import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-types.ts';

/**
 * GET /openapi.json. The document is built once, on the first request: by then every route
 * is registered, and the routes cannot change while the server runs.
 */
export function registerOpenApiRoute(app: FastifyInstance, build: () => OpenApiDocument): void {
  let document: string | null = null;
  app.get('/openapi.json', { config: { openapi: false } }, async (_request, reply) => {
    document ??= JSON.stringify(build());
    return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(document);
  });
}
