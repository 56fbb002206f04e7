import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { GitHubOidcEmulator, type GitHubJob } from '../../src/emulators/github/github-oidc-emulator.ts';

describe('GitHub Actions OIDC emulator', () => {
  let gh: GitHubOidcEmulator;
  let job: GitHubJob;
  before(async () => {
    gh = await GitHubOidcEmulator.start();
    job = gh.registerJob({ repository: 'acme/payments', repositoryOwnerId: '4242', workflow: 'Deploy', actor: 'alice' });
  });
  after(() => gh.close());

  /** What `@actions/core` getIDToken does: URL + `&audience=`, `Authorization: bearer`. */
  const request = (target: GitHubJob, options: { audience?: string; bearer?: string; scheme?: string } = {}) => {
    const env = gh.envForJob(target);
    const url =
      options.audience === undefined
        ? env.ACTIONS_ID_TOKEN_REQUEST_URL
        : `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(options.audience)}`;
    return fetch(url, { headers: { authorization: `${options.scheme ?? 'bearer'} ${options.bearer ?? env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } });
  };
  const verify = (token: string, audience: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${gh.baseUrl}/.well-known/jwks`)), { issuer: gh.issuer, audience, algorithms: ['RS256'] });

  it('publishes discovery and a JWKS with x5c/x5t', async () => {
    const discovery = (await (await fetch(`${gh.baseUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(discovery.issuer, gh.issuer);
    assert.equal(discovery.jwks_uri, `${gh.baseUrl}/.well-known/jwks`);
    const { keys } = (await (await fetch(discovery.jwks_uri as string)).json()) as { keys: Record<string, unknown>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.kid, gh.activeKid);
    assert.equal(keys[0]?.alg, 'RS256');
    assert.equal(typeof keys[0]?.x5t, 'string');
    assert.equal((keys[0]?.x5c as string[]).length, 1);
  });

  it('returns {value} with the requested audience and realistic claims (IDs as strings)', async () => {
    const response = await request(job, { audience: 'api://AzureADTokenExchange' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['value']);
    const header = decodeProtectedHeader(body.value as string);
    assert.deepEqual([header.typ, header.alg, header.kid, typeof header.x5t], ['JWT', 'RS256', gh.activeKid, 'string']);
    const { payload } = await verify(body.value as string, 'api://AzureADTokenExchange');
    assert.equal(payload.sub, 'repo:acme/payments:ref:refs/heads/main');
    assert.equal(payload.repository, 'acme/payments');
    assert.equal(payload.repository_owner, 'acme');
    assert.equal(payload.repository_owner_id, '4242');
    assert.equal(payload.workflow, 'Deploy');
    assert.equal(payload.actor, 'alice');
    assert.equal(payload.event_name, 'push');
    assert.equal(payload.ref_type, 'branch');
    assert.equal(payload.job_workflow_ref, 'acme/payments/.github/workflows/ci.yml@refs/heads/main');
    assert.match(payload.sha as string, /^[0-9a-f]{40}$/);
    for (const id of ['run_id', 'repository_id', 'actor_id', 'run_number', 'run_attempt']) assert.equal(typeof payload[id], 'string');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    assert.equal(typeof payload.jti, 'string');
  });

  it('defaults the audience to https://github.com/<owner>', async () => {
    const body = (await (await request(job)).json()) as { value: string };
    const { payload } = await verify(body.value, 'https://github.com/acme');
    assert.equal(payload.aud, 'https://github.com/acme');
  });

  it('builds environment and pull_request subjects, and honours a custom subject', async () => {
    const cases: Array<[Parameters<GitHubOidcEmulator['registerJob']>[0], string]> = [
      [{ repository: 'acme/web', environment: 'production' }, 'repo:acme/web:environment:production'],
      [{ repository: 'acme/web', eventName: 'pull_request', ref: 'refs/pull/7/merge' }, 'repo:acme/web:pull_request'],
      [{ repository: 'acme/web', ref: 'refs/tags/v1.0.0' }, 'repo:acme/web:ref:refs/tags/v1.0.0'],
      [{ repository: 'acme/web', subject: 'repo:acme/web:workflow:Deploy' }, 'repo:acme/web:workflow:Deploy'],
    ];
    for (const [options, subject] of cases) {
      const target = gh.registerJob(options);
      const { value } = (await (await request(target, { audience: 'x' })).json()) as { value: string };
      assert.equal((await verify(value, 'x')).payload.sub, subject);
    }
  });

  it('answers 401 to a wrong, missing or other-job bearer token', async () => {
    const other = gh.registerJob({ repository: 'acme/other' });
    const attempts = [
      request(job, { bearer: 'wrong' }),
      request(job, { bearer: other.requestToken }),
      request(job, { scheme: 'Basic' }),
      fetch(gh.envForJob(job).ACTIONS_ID_TOKEN_REQUEST_URL),
    ];
    for (const response of await Promise.all(attempts)) {
      assert.equal(response.status, 401);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.value, undefined);
      assert.equal(body.typeKey, 'UnauthorizedRequestException');
    }
  });

  it('answers 401 for an unknown job and 404 for other paths', async () => {
    const unknown = job.requestUrl.replace(job.id, '00000000-0000-4000-8000-000000000000');
    assert.equal((await fetch(unknown, { headers: { authorization: `bearer ${job.requestToken}` } })).status, 401);
    assert.equal((await fetch(`${gh.baseUrl}/idtoken`)).status, 404);
  });

  it('rejects an empty, oversized or repeated audience', async () => {
    assert.equal((await request(job, { audience: '' })).status, 400);
    assert.equal((await request(job, { audience: 'a'.repeat(1001) })).status, 400);
    const env = gh.envForJob(job);
    const twice = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=a&audience=b`, {
      headers: { authorization: `bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    assert.equal(twice.status, 400);
  });

  it('rejects other methods and malformed repositories', async () => {
    assert.equal((await fetch(job.requestUrl, { method: 'POST', headers: { authorization: `bearer ${job.requestToken}` } })).status, 405);
    assert.throws(() => gh.registerJob({ repository: 'no-slash' }), TypeError);
    assert.throws(() => gh.registerJob({ repository: 'a/b/c' }), TypeError);
  });

  it('injects 5xx faults on authorised requests only', async () => {
    gh.failNext({ status: 503, count: 1 });
    assert.equal((await request(job, { bearer: 'wrong' })).status, 401);
    assert.equal((await request(job, { audience: 'x' })).status, 503);
    assert.equal((await request(job, { audience: 'x' })).status, 200);
    assert.throws(() => gh.failNext({ status: 400 as 500 }), RangeError);
    assert.throws(() => gh.failNext({ status: 500, count: 0 }), RangeError);
  });
});
