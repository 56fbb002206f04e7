import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { loadConsoleAssets, serveAsset } from './assets.ts';
import { newContext, redirect, sendHtml } from './context.ts';
import { consoleErrorHandler, errorPage } from './error-pages.ts';
import { eventPages } from './pages/events.ts';
import { issuerPages } from './pages/issuers.ts';
import { overviewPage } from './pages/overview.ts';
import { rulePages } from './pages/rules.ts';
import { serviceAccountPages } from './pages/service-accounts.ts';
import { testTokenPages } from './pages/test-token.ts';
import { upstreamPages } from './pages/upstream.ts';
import { workspacePages } from './pages/workspaces.ts';
import { csrfTokenFor, findSession, isValidCsrfToken, SESSION_COOKIE } from './session.ts';
import { safeNext, signInRoutes, signOutRoute } from './sign-in.routes.ts';

export { createLoginLink, LOGIN_LINK_PREFIX, SESSION_COOKIE } from './session.ts';

/** Forms are small; a pasted JWT is at most 16 KiB and an inline JWKS well under this. */
const FORM_BODY_LIMIT = 128 * 1024;

/** Exactly the policy of issue 9; helmet's other defaults (nosniff, frame denial, no referrer, …) stay on. */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  baseUri: ["'none'"],
};

/**
 * The web console under /console: server-rendered HTML with htmx, no build step. Every data
 * read and write goes through the Admin API in-process (admin-api.ts) with the session ID as
 * the bearer credential. Cookies, form parsing and the strict CSP are registered inside this
 * scope only, so the API routes' headers and parsers are untouched.
 */
export async function consoleRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const assets = await loadConsoleAssets();
  await app.register(
    async (scope) => {
      await scope.register(fastifyCookie);
      await scope.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
      await scope.register(fastifyHelmet, { global: true, contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES } });
      scope.setErrorHandler(consoleErrorHandler);
      scope.setNotFoundHandler((_request, reply) => sendHtml(reply, errorPage('Page not found', 'There is nothing at this address.'), 404));

      for (const asset of assets) serveAsset(scope, asset);
      await signInRoutes(scope, deps);

      await scope.register(async (signedIn) => {
        signedIn.decorateRequest('consoleContext', null);
        signedIn.addHook('onRequest', async (request, reply) => {
          const session = await findSession(deps.stores, request.cookies[SESSION_COOKIE], deps.now());
          if (!session) return sendToSignIn(request, reply);
          request.consoleContext = newContext(app, session, csrfTokenFor(session.id));
        });
        // After body parsing, so the token may come from the form field as well as the htmx header.
        signedIn.addHook('preHandler', async (request, reply) => {
          if (request.method === 'GET' || request.method === 'HEAD') return;
          const presented = request.headers['x-csrf-token'] ?? (request.body as Record<string, unknown> | undefined)?.['_csrf'];
          const session = request.consoleContext?.session;
          if (!session || !isValidCsrfToken(session.id, presented)) {
            return sendHtml(
              reply,
              errorPage(
                'Form expired',
                'This form was sent without a valid security token (it may be from an old page, or from another site). Go back, reload the page and try again.',
              ),
              403,
            );
          }
        });
        signOutRoute(signedIn, deps);
        signedIn.get('/fragments/nothing', async (_request, reply) => reply.type('text/html; charset=utf-8').send(''));
        overviewPage(signedIn);
        workspacePages(signedIn);
        serviceAccountPages(signedIn);
        issuerPages(signedIn);
        rulePages(signedIn, deps);
        eventPages(signedIn);
        testTokenPages(signedIn);
        upstreamPages(signedIn);
      });
    },
    { prefix: '/console' },
  );
}

function sendToSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = request.method === 'GET' && request.headers['hx-request'] !== 'true' ? safeNext(request.url) : '/console';
  const location = next === '/console' ? '/console/login' : `/console/login?next=${encodeURIComponent(next)}`;
  return redirect(request, reply, location);
}
