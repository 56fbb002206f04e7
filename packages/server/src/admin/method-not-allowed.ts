import type { FastifyInstance, HTTPMethods } from 'fastify';
import { HttpError } from '../http/errors.ts';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Records the methods registered per path, so the rest can answer 405 instead of 404. */
export class RouteTable {
  private readonly methods = new Map<string, Set<string>>();

  /** Call before any route is registered: the hook is inherited by child scopes. */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const set = this.methods.get(route.url) ?? new Set<string>();
      for (const m of [route.method].flat()) set.add(m.toUpperCase());
      this.methods.set(route.url, set);
    });
  }

  /**
   * A known path with a wrong method gets 405 in the error envelope, with the `Allow` header.
   * Answered in onRequest, before any body parsing, so a bad body never hides the real mistake.
   */
  registerMethodNotAllowed(scope: FastifyInstance): void {
    const allowHeader = new Map<string, string>();
    for (const [url, allowed] of [...this.methods]) {
      const missing = METHODS.filter((m) => !allowed.has(m));
      if (missing.length === 0) continue;
      allowHeader.set(url, [...allowed].sort().join(', '));
      scope.route({ method: missing, url, handler: async () => undefined });
    }
    scope.addHook('onRequest', async (request, reply) => {
      const allow = allowHeader.get(request.routeOptions.url ?? '') ?? '';
      reply.header('allow', allow);
      throw new HttpError(405, 'method_not_allowed_error', `Method ${request.method} is not allowed on this path; allowed: ${allow}.`);
    });
  }
}
