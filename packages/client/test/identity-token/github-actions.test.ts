import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { githubActions, IdentityTokenError, type GithubActionsOptions } from '../../src/index.ts';
import { startLoopbackServer, type LoopbackServer, type ScriptedResponse } from '../helpers/loopback-server.ts';
import { createTestIssuer, type TestIssuer } from '../helpers/test-issuer.ts';

const REQUEST_TOKEN = 'ghs_runtime-request-token-secret';
let runner: LoopbackServer;
let issuer: TestIssuer;
let script: ScriptedResponse[];
const sleeps: number[] = [];

before(async () => {
  issuer = await createTestIssuer('https://token.actions.githubusercontent.com');
  runner = await startLoopbackServer(() => script.shift() ?? { status: 503 });
});
after(() => runner.close());
beforeEach(() => {
  script = [];
  runner.requests.length = 0;
  sleeps.length = 0;
});

function provider(overrides: Partial<GithubActionsOptions> = {}) {
  return githubActions({
    audience: 'https://api.anthropic.com',
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${runner.url}/_apis/pipelines/1/runs/2/idtoken?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

describe('githubActions', () => {
  it('appends the audience to the existing query and sends the bearer', async () => {
    const jwt = await issuer.sign({ sub: 'repo:acme/app:ref:refs/heads/main' });
    script.push({ status: 200, body: { count: 1, value: jwt } });
    assert.equal(await provider()(), jwt);
    const request = runner.requests[0];
    assert.ok(request);
    assert.equal(request.headers.authorization, `bearer ${REQUEST_TOKEN}`);
    const url = new URL(request.url, runner.url);
    assert.equal(url.pathname, '/_apis/pipelines/1/runs/2/idtoken');
    assert.equal(url.searchParams.get('api-version'), '2.0');
    assert.equal(url.searchParams.get('audience'), 'https://api.anthropic.com');
  });

  it('fetches a new token on every call', async () => {
    script.push({ status: 200, body: { value: await issuer.sign() } }, { status: 200, body: { value: await issuer.sign() } });
    const get = provider();
    assert.notEqual(await get(), await get());
    assert.equal(runner.requests.length, 2);
  });

  it('retries 502/503/504 and succeeds', async () => {
    script.push({ status: 502 }, { status: 504 }, { status: 200, body: { value: await issuer.sign() } });
    await provider()();
    assert.deepEqual(sleeps, [500, 1000]);
  });

  it('does not retry 401 and never puts the request token in the error', async () => {
    script.push({ status: 401, body: { message: 'Bad credentials' } });
    await assert.rejects(provider()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'github-actions');
      assert.equal(err.statusCode, 401);
      assert.match(err.message, /HTTP 401: Bad credentials/);
      assert.equal(err.message.includes(REQUEST_TOKEN), false);
      return true;
    });
    assert.equal(runner.requests.length, 1);
  });

  it('stops after maxAttempts', async () => {
    await assert.rejects(provider({ maxAttempts: 2 })(), { statusCode: 503 });
    assert.equal(runner.requests.length, 2);
  });

  it('rejects a response without value', async () => {
    script.push({ status: 200, body: { count: 0 } });
    await assert.rejects(provider()(), { message: /no "value" token/ });
  });

  it('explains the missing permission when the variables are absent', () => {
    assert.throws(() => provider({ env: {} }), { name: 'TypeError', message: /id-token: write/ });
    assert.throws(() => provider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${runner.url}/x?a=1`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' } }), /id-token: write/);
  });

  it('refuses to send the bearer over cleartext to a non-loopback host', () => {
    assert.throws(() => provider({ requestUrl: 'http://pipelines.example.com/idtoken?x=1' }), { name: 'TypeError', message: /must use https/ });
    assert.throws(() => provider({ audience: '' }), { name: 'TypeError', message: /audience/ });
  });
});
