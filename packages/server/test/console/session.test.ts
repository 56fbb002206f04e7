import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLoginLink } from '../../src/console/index.ts';
import { csrfTokenFor } from '../../src/console/session.ts';
import { BOOTSTRAP_ACTOR_ID } from '../../src/bootstrap.ts';
import { hashSecret } from '../../src/tokens/token-hash.ts';
import { CONSOLE_ADMIN_TOKEN, ConsoleClient, hiddenField, startConsoleServer, type ConsoleServer } from './helpers.ts';

/** Session, sign-in and CSRF logic over plain HTTP (no browser). */

let server: ConsoleServer;
before(async () => {
  server = await startConsoleServer();
});
after(async () => {
  await server?.close();
});

async function signedIn(): Promise<ConsoleClient> {
  const client = new ConsoleClient(server.url);
  const response = await client.signIn(CONSOLE_ADMIN_TOKEN);
  assert.equal(response.status, 303);
  return client;
}

async function workspaceNames(): Promise<string[]> {
  const page = await server.stores.workspaces.list(server.organizationId, {
    limit: 100,
    afterId: null,
    beforeId: null,
    includeArchived: true,
    includeDefault: true,
    ids: null,
  });
  return page.items.map((w) => w.name);
}

describe('unauthenticated requests', () => {
  test('pages redirect to sign-in and remember the console path', async () => {
    const client = new ConsoleClient(server.url);
    const root = await client.get('/console');
    assert.equal(root.status, 303);
    assert.equal(root.headers.get('location'), '/console/login');
    const rules = await client.get('/console/rules?archived=1');
    assert.equal(rules.headers.get('location'), '/console/login?next=%2Fconsole%2Frules%3Farchived%3D1');
  });

  test('htmx requests get HX-Redirect instead of a redirect htmx would swap in', async () => {
    const client = new ConsoleClient(server.url);
    const response = await client.get('/console/issuers/x/poll-status', { 'hx-request': 'true' });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('hx-redirect'), '/console/login');
  });

  test('a POST without a session changes nothing and is sent to sign-in', async () => {
    const client = new ConsoleClient(server.url);
    const response = await client.post('/console/workspaces', { name: 'anonymous-ws', _csrf: 'x' });
    assert.equal(response.status, 303);
    assert.equal((await workspaceNames()).includes('anonymous-ws'), false);
  });
});

describe('sign-in with a token', () => {
  test('without the sign-in form cookie the POST is refused (login CSRF)', async () => {
    const client = new ConsoleClient(server.url);
    const response = await client.post('/console/login', { token: CONSOLE_ADMIN_TOKEN, _csrf: 'A'.repeat(43) });
    assert.equal(response.status, 403);
    assert.equal(client.jar.get('openwif_session'), undefined);
  });

  test('a form token that differs from the cookie is refused', async () => {
    const client = new ConsoleClient(server.url);
    await client.get('/console/login');
    const response = await client.post('/console/login', { token: CONSOLE_ADMIN_TOKEN, _csrf: 'B'.repeat(43) });
    assert.equal(response.status, 403);
    assert.equal(client.jar.get('openwif_session'), undefined);
  });

  for (const [label, token] of [
    ['an unknown admin token', 'owif-admin-unknown-unknown-unknown-unknown-000'],
    ['an empty token', ''],
    ['an unknown sk-ant token', 'sk-ant-oat01-notarealtoken'],
    ['an oversized token', 'x'.repeat(5000)],
  ] as const) {
    test(`${label} is refused with a message and no session`, async () => {
      const client = new ConsoleClient(server.url);
      const response = await client.signIn(token);
      assert.equal(response.status, 401);
      assert.match(response.text, /role="alert"/);
      assert.equal(client.jar.get('openwif_session'), undefined);
      assert.equal(response.text.includes(token) && token.length > 0, false, 'the token is not echoed back');
    });
  }

  test('a console session ID cannot be used to open another session', async () => {
    const first = await signedIn();
    const sessionId = first.jar.get('openwif_session');
    assert.ok(sessionId);
    const second = new ConsoleClient(server.url);
    const response = await second.signIn(sessionId);
    assert.equal(response.status, 401);
    assert.equal(second.jar.get('openwif_session'), undefined);
  });

  test('the admin token opens an 8-hour session stored only by hash, with a strict cookie', async () => {
    const client = new ConsoleClient(server.url);
    const response = await client.signIn(CONSOLE_ADMIN_TOKEN);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/console');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('openwif_session='));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/console(;|$)/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http: no Secure flag');
    const sessionId = client.jar.get('openwif_session') ?? '';
    assert.match(sessionId, /^owif-session-[A-Za-z0-9_-]{43}$/);
    assert.equal(await server.stores.consoleSessions.find(sessionId), null, 'the raw ID is not a key');
    const row = await server.stores.consoleSessions.find(hashSecret(sessionId));
    assert.equal(row?.kind, 'session');
    const lifetimeMs = Date.parse(row?.expires_at ?? '') - Date.parse(row?.created_at ?? '');
    assert.equal(lifetimeMs, 8 * 3600 * 1000);
  });

  test('the session ID is a bearer credential for the Admin API', async () => {
    const client = await signedIn();
    const response = await fetch(`${server.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${client.jar.get('openwif_session')}` } });
    assert.equal(response.status, 200);
  });

  for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', '/consolex', 'javascript:alert(1)']) {
    test(`next=${JSON.stringify(next)} cannot send the user off the console`, async () => {
      const client = new ConsoleClient(server.url);
      const page = await client.get('/console/login');
      const response = await client.post('/console/login', { _csrf: hiddenField(page.text, '_csrf'), token: CONSOLE_ADMIN_TOKEN, next });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/console');
    });
  }

  test('an expired session is treated as signed out', async () => {
    const id = 'owif-session-expiredexpiredexpiredexpiredexpired0000';
    const past = new Date(Date.now() - 3600_000).toISOString();
    await server.stores.consoleSessions.insert(hashSecret(id), {
      organization_id: server.organizationId,
      actor_id: BOOTSTRAP_ACTOR_ID,
      kind: 'session',
      created_at: past,
      expires_at: past,
    });
    const client = new ConsoleClient(server.url);
    client.jar.set('openwif_session', id);
    const response = await client.get('/console');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/console/login');
  });
});

describe('one-time login links', () => {
  test('a link signs in once; the second use is refused', async () => {
    const code = await createLoginLink(server.stores, server.organizationId, BOOTSTRAP_ACTOR_ID, new Date());
    const first = new ConsoleClient(server.url);
    const used = await first.get(`/console/login/${code}`);
    assert.equal(used.status, 303);
    assert.equal(used.headers.get('location'), '/console');
    assert.match(first.jar.get('openwif_session') ?? '', /^owif-session-/);
    assert.equal((await first.get('/console')).status, 200);
    const second = new ConsoleClient(server.url);
    const reused = await second.get(`/console/login/${code}`);
    assert.equal(reused.status, 401);
    assert.match(reused.text, /expired or was already used/);
    assert.equal(second.jar.get('openwif_session'), undefined);
  });

  test('an expired link is refused', async () => {
    const code = await createLoginLink(server.stores, server.organizationId, BOOTSTRAP_ACTOR_ID, new Date(Date.now() - 3600_000), 60);
    const client = new ConsoleClient(server.url);
    assert.equal((await client.get(`/console/login/${code}`)).status, 401);
    assert.equal(client.jar.get('openwif_session'), undefined);
  });

  test('a made-up code and a session ID used as a code are refused', async () => {
    const client = new ConsoleClient(server.url);
    assert.equal((await client.get('/console/login/owif-login-madeupmadeupmadeupmadeupmadeupmadeup00')).status, 401);
    const sessionId = (await signedIn()).jar.get('openwif_session') ?? '';
    assert.equal((await client.get(`/console/login/${sessionId}`)).status, 401);
    assert.equal(client.jar.get('openwif_session'), undefined);
  });

  test('a login link is not an Admin API credential', async () => {
    const code = await createLoginLink(server.stores, server.organizationId, BOOTSTRAP_ACTOR_ID, new Date());
    const response = await fetch(`${server.url}/v1/organizations/federation_issuers`, { headers: { authorization: `Bearer ${code}` } });
    assert.equal(response.status, 401);
  });

  test('link lifetimes outside 1 s – 24 h are rejected', async () => {
    for (const ttl of [0, -5, 1.5, 86_401]) {
      await assert.rejects(createLoginLink(server.stores, server.organizationId, BOOTSTRAP_ACTOR_ID, new Date(), ttl), RangeError);
    }
  });
});

describe('CSRF on signed-in forms', () => {
  test('a POST without the token is refused with 403 and nothing is created', async () => {
    const client = await signedIn();
    const response = await client.post('/console/workspaces', { name: 'no-token-ws' });
    assert.equal(response.status, 403);
    assert.match(response.text, /Form expired/);
    assert.equal((await workspaceNames()).includes('no-token-ws'), false);
  });

  test('a wrong token, and another session’s token, are refused', async () => {
    const client = await signedIn();
    const other = await signedIn();
    const otherToken = csrfTokenFor(other.jar.get('openwif_session') ?? '');
    for (const token of ['wrong', otherToken, '', 'x'.repeat(1000)]) {
      const response = await client.post('/console/workspaces', { name: 'wrong-token-ws', _csrf: token });
      assert.equal(response.status, 403);
    }
    assert.equal((await workspaceNames()).includes('wrong-token-ws'), false);
  });

  test('the form field or the htmx header with the page’s token is accepted', async () => {
    const client = await signedIn();
    const page = await client.get('/console/workspaces');
    const token = hiddenField(page.text, '_csrf');
    assert.equal((await client.post('/console/workspaces', { name: 'form-token-ws', _csrf: token })).status, 303);
    const viaHeader = await client.post('/console/workspaces', { name: 'header-token-ws' }, { 'x-csrf-token': token, 'hx-request': 'true' });
    assert.equal(viaHeader.status, 204);
    assert.equal(viaHeader.headers.get('hx-redirect'), '/console/workspaces?notice=created');
    const names = await workspaceNames();
    assert.ok(names.includes('form-token-ws') && names.includes('header-token-ws'));
  });

  test('sign-out needs the token; with it, the session row is deleted', async () => {
    const client = await signedIn();
    const sessionId = client.jar.get('openwif_session') ?? '';
    assert.equal((await client.post('/console/logout', {})).status, 403);
    assert.notEqual(await server.stores.consoleSessions.find(hashSecret(sessionId)), null);
    const response = await client.post('/console/logout', { _csrf: csrfTokenFor(sessionId) });
    assert.equal(response.status, 303);
    assert.equal(await server.stores.consoleSessions.find(hashSecret(sessionId)), null);
    const api = await fetch(`${server.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${sessionId}` } });
    assert.equal(api.status, 401, 'the ended session no longer works on the API either');
  });
});

describe('headers and assets', () => {
  test('console pages carry the strict CSP; API responses do not', async () => {
    const client = await signedIn();
    const page = await client.get('/console');
    assert.equal(
      page.headers.get('content-security-policy'),
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;frame-ancestors 'none';form-action 'self';base-uri 'none'",
    );
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    for (const path of ['/healthz', '/v1/organizations/me']) {
      const api = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${CONSOLE_ADMIN_TOKEN}` } });
      assert.equal(api.headers.get('content-security-policy'), null, path);
      assert.equal(api.headers.get('set-cookie'), null, path);
    }
  });

  test('htmx, the stylesheet and the icon are served from our own origin', async () => {
    for (const [path, type] of [
      ['/console/assets/htmx.min.js', /javascript/],
      ['/console/assets/console.css', /text\/css/],
      ['/console/assets/favicon.svg', /image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', type);
      assert.ok((await response.text()).length > 100);
    }
  });

  test('unknown console paths get an HTML 404, not the API envelope', async () => {
    const client = await signedIn();
    const response = await client.get('/console/no-such-page');
    assert.equal(response.status, 404);
    assert.match(response.text, /Page not found/);
  });

  test('a stale link to a missing object is a 404 page', async () => {
    const client = await signedIn();
    const response = await client.get('/console/rules/fdrl_01doesnotexist');
    assert.equal(response.status, 404);
    assert.match(response.text, /not found/);
  });
});
