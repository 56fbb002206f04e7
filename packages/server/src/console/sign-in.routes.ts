import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { sendHtml } from './context.ts';
import { html } from './html.ts';
import { bareLayout } from './layout.ts';
import { endSession, findSession, redeemLoginLink, SESSION_COOKIE, SESSION_TTL_SECONDS, startSession, type SignedInSession } from './session.ts';
import { checkSignInToken } from './sign-in-credential.ts';

/**
 * Signing in and out. Before there is a session, the sign-in form is protected by a
 * double-submit cookie: a random value in a SameSite=Strict cookie that the form must echo,
 * which another site can neither read nor make the browser send.
 */

export const LOGIN_CSRF_COOKIE = 'openwif_login_csrf';
const COOKIE_PATH = '/console';

/**
 * `Secure` when the browser reached us over https, directly or through a TLS-terminating proxy
 * (X-Forwarded-Proto). Trusting that header can only make the cookie stricter.
 */
function cookieOptions(request: FastifyRequest, maxAgeSeconds: number) {
  const https = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  return { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict' as const, secure: https, maxAge: maxAgeSeconds };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: SignedInSession): void {
  reply.setCookie(SESSION_COOKIE, session.id, cookieOptions(request, SESSION_TTL_SECONDS));
}

function sameSecret(a: string | undefined, b: unknown): boolean {
  if (a === undefined || typeof b !== 'string' || a.length === 0 || a.length !== b.length || b.length > 128) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Only console paths: `next` must never send a signed-in user to another site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) && next.length <= 500 ? next : '/console';
}

function signInPage(options: { csrf: string; error?: string; next: string; signedOut?: boolean }) {
  return bareLayout(
    'Sign in',
    html`<div class="card sign-in">
  <h1>Sign in to the console</h1>
  ${options.signedOut ? html`<div class="alert ok" role="status">You are signed out.</div>` : ''}
  ${options.error ? html`<div class="alert error" role="alert" id="sign-in-error">${options.error}</div>` : ''}
  <form method="post" action="/console/login" class="form" novalidate>
    <input type="hidden" name="_csrf" value="${options.csrf}">
    <input type="hidden" name="next" value="${options.next}">
    <div class="field">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="off" required${options.error ? html` aria-invalid="true" aria-describedby="sign-in-error token-hint"` : html` aria-describedby="token-hint"`}>
      <p class="hint" id="token-hint">The server's admin token (<code>owif-admin-…</code>, printed at first start or set with OPENWIF_ADMIN_TOKEN), or an access token with the org:admin scope. <code>openwif dev</code> prints a one-time sign-in link instead.</p>
    </div>
    <div class="form-actions"><button type="submit" class="button primary">Sign in</button></div>
  </form>
</div>`,
  );
}

export async function signInRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  function loginCsrf(request: FastifyRequest, reply: FastifyReply): string {
    const existing = request.cookies[LOGIN_CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const value = randomBytes(32).toString('base64url');
    reply.setCookie(LOGIN_CSRF_COOKIE, value, cookieOptions(request, 60 * 60));
    return value;
  }

  scope.get('/login', async (request, reply) => {
    const query = request.query as { next?: unknown; signed_out?: unknown };
    if (await findSession(deps.stores, request.cookies[SESSION_COOKIE], deps.now())) return reply.redirect(safeNext(query.next), 303);
    return sendHtml(reply, signInPage({ csrf: loginCsrf(request, reply), next: safeNext(query.next), signedOut: query.signed_out === '1' }));
  });

  scope.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body['next']);
    if (!sameSecret(request.cookies[LOGIN_CSRF_COOKIE], body['_csrf'])) {
      const message = 'The sign-in form expired or was sent from another site. Try again.';
      return sendHtml(reply, signInPage({ csrf: loginCsrf(request, reply), next, error: message }), 403);
    }
    const check = await checkSignInToken(deps.stores, body['token'], deps.now());
    if (!check.ok) return sendHtml(reply, signInPage({ csrf: loginCsrf(request, reply), next, error: check.message }), 401);
    const session = await startSession(deps.stores, check, deps.now());
    setSessionCookie(request, reply, session);
    return reply.redirect(next, 303);
  });

  scope.get('/login/:code', async (request, reply) => {
    const { code } = request.params as { code: string };
    const who = await redeemLoginLink(deps.stores, code, deps.now());
    if (!who) {
      const message = 'This sign-in link has expired or was already used. Run openwif dev again for a new one, or sign in with the admin token.';
      return sendHtml(reply, signInPage({ csrf: loginCsrf(request, reply), next: '/console', error: message }), 401);
    }
    setSessionCookie(request, reply, await startSession(deps.stores, who, deps.now()));
    // Referrer-Policy no-referrer (helmet) keeps the spent code out of the next page's Referer.
    return reply.redirect('/console', 303);
  });
}

/** Sign-out is a CSRF-checked POST in the signed-in scope: it deletes the session row, not just the cookie. */
export function signOutRoute(scope: FastifyInstance, deps: AppDeps): void {
  scope.post('/logout', async (request, reply) => {
    const id = request.cookies[SESSION_COOKIE];
    if (id) await endSession(deps.stores, id);
    reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
    return reply.redirect('/console/login?signed_out=1', 303);
  });
}
