import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_AUDIENCE, seedFederation } from '../helpers/federation-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { runCli } from './run-cli.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OID = '9c3e6b5a-2f1d-4e8a-b7c6-1d2e3f4a5b6c';
const CLIENT_ID = 'b5e2c3d4-6f7a-4b8c-9d0e-1f2a3b4c5d6e';

async function sign(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(privateKey);
}

describe('openwif token (real binary)', () => {
  let dir: string;
  let server: TestServer;
  let issuer: TestIssuer;
  const now = Math.floor(Date.now() / 1000);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openwif-token-'));
    server = await startTestServer();
    issuer = await TestIssuer.start(['ES256']);
  });
  after(async () => {
    await server.close();
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes an Entra v1.0 managed-identity token with dates and "expires in"', async () => {
    const token = await sign(
      { typ: 'JWT', kid: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', x5t: 'nOo3ZDrODXEK1jKWhXslHR_KXEg' },
      {
        aud: 'api://openwif',
        iss: `https://sts.windows.net/${TENANT}/`,
        iat: now - 60,
        nbf: now - 60,
        exp: now + 3540,
        aio: 'E2ZgYLi',
        appid: CLIENT_ID,
        appidacr: '2',
        idp: `https://sts.windows.net/${TENANT}/`,
        oid: OID,
        rh: '0.AX',
        sub: OID,
        tid: TENANT,
        uti: 'x9Q',
        ver: '1.0',
        xms_mirid: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/worker',
      },
    );
    const file = join(dir, 'entra-v1.jwt');
    writeFileSync(file, `${token}\n`);
    const result = await runCli(['token', 'decode', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^kind: {3}Entra ID v1\.0 access token \(signature NOT verified/m);
    assert.match(result.stdout, /"x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg"/);
    assert.match(result.stdout, new RegExp(`"appid": "${CLIENT_ID}"`));
    assert.match(result.stdout, /^ {2}exp: +\d{4}-\d\d-\d\dT[\d:.]+Z \(expires in 5\dm \d+s\)$/m);
    assert.match(result.stdout, /^ {2}iat: +\d{4}-.*Z \(\dm \d+s ago\)$/m);
    assert.match(result.stdout, /^ {2}lifetime: +1h 0m$/m);
  });

  it('decodes an expired Entra v2.0 token from stdin and says EXPIRED; --json carries the times', async () => {
    const token = await sign(
      { typ: 'JWT', kid: 'L1KfKFI_jnXbwWc22xZxw1sUHH0' },
      {
        aud: 'c9a8b7f6-0000-4000-8000-000000000001',
        iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        iat: now - 7300,
        nbf: now - 7300,
        exp: now - 3675,
        azp: CLIENT_ID,
        azpacr: '2',
        oid: OID,
        sub: OID,
        tid: TENANT,
        idtyp: 'app',
        ver: '2.0',
      },
    );
    const result = await runCli(['token', 'decode', '-', '--json'], { stdin: token });
    assert.equal(result.code, 0, result.stderr);
    const decoded = JSON.parse(result.stdout);
    assert.equal(decoded.kind, 'Entra ID v2.0 access token');
    assert.equal(decoded.verified, false);
    // 1h 1m 15s when signed; the child process may start up to a minute later on a loaded machine.
    assert.match(decoded.times.exp, /EXPIRED 1h [12]m ago/);
    assert.equal(decoded.claims.azp, CLIENT_ID);
  });

  it('decodes a Kubernetes projected service-account token including warnafter', async () => {
    const token = await sign(
      { kid: 'xCgmL1Hj0tBqXzm8yQ1mJ2X7yqvRg8Pp3Ywq7QKmR7M' },
      {
        aud: ['api://AzureADTokenExchange'],
        exp: now + 3600,
        iat: now,
        nbf: now,
        iss: 'https://oidc.prod-aks.azure.com/abc/',
        jti: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        'kubernetes.io': {
          namespace: 'prod',
          node: { name: 'aks-node-1', uid: 'n-uid' },
          pod: { name: 'worker-7d9', uid: 'p-uid' },
          serviceaccount: { name: 'worker', uid: 's-uid' },
          warnafter: now + 3000,
        },
        sub: 'system:serviceaccount:prod:worker',
      },
    );
    const file = join(dir, 'k8s.jwt');
    writeFileSync(file, token);
    const result = await runCli(['token', 'decode', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Kubernetes service account token/);
    assert.match(result.stdout, /"sub": "system:serviceaccount:prod:worker"/);
    assert.match(result.stdout, /kubernetes\.io\.warnafter: .* \(in 4\dm \d+s\)/);
  });

  it('refuses input that is not a JWT (exit 1) and a missing file (exit 2)', async () => {
    const garbage = await runCli(['token', 'decode', '-'], { stdin: 'not-a-token' });
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /not a JWT: expected three dot-separated parts/);
    const missing = await runCli(['token', 'decode', join(dir, 'nope.jwt')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read token .*ENOENT/);
  });

  it('verify runs the exchange verifier via discovery and names a failure by the server reason code', async () => {
    const good = await issuer.sign({ sub: 'repo:acme/api:ref:refs/heads/main', aud: DEFAULT_AUDIENCE });
    const ok = await runCli(['token', 'verify', '-', '--issuer', issuer.url, '--audience', DEFAULT_AUDIENCE], { stdin: good });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^valid: signature \(ES256, kid key-es256-\w+\), iss, aud, exp\/nbf\/iat, lifetime all pass/m);
    assert.match(ok.stdout, /^ {2}sub: repo:acme\/api:ref:refs\/heads\/main$/m);

    const wrongAudience = await runCli(['token', 'verify', '-', '--issuer', issuer.url, '--audience', 'https://other.example'], { stdin: good });
    assert.equal(wrongAudience.code, 1);
    assert.match(wrongAudience.stderr, /verification failed at "match_audience": expected aud "https:\/\/other\.example"/);

    const wrongIssuer = await runCli(['token', 'verify', '-', '--issuer', `${issuer.url}/`], { stdin: good });
    assert.equal(wrongIssuer.code, 1);
    assert.match(wrongIssuer.stderr, /verification failed at "issuer_mismatch"/);

    const hostileHeader = Buffer.from(JSON.stringify({ alg: { toString: null }, kid: 'k' })).toString('base64url');
    const hostile = await runCli(['token', 'verify', '-', '--issuer', issuer.url], { stdin: `${hostileHeader}.${good.split('.')[1]}.c2ln` });
    assert.equal(hostile.code, 1);
    assert.match(hostile.stderr, /verification failed at "alg_not_allowed": alg \{"toString":null\} is not allowed/);

    const expired = await issuer.sign({ sub: 's', aud: DEFAULT_AUDIENCE }, { now: now - 7200, lifetimeSeconds: 300 });
    const exp = await runCli(['token', 'verify', '-', '--issuer', issuer.url, '--json'], { stdin: expired });
    assert.equal(exp.code, 1);
    assert.equal(JSON.parse(exp.stdout).check, 'expired');

    // An issuer's max_jwt_lifetime_seconds is 3600 by default, as on the server; --max-lifetime mirrors it.
    const longLived = await issuer.sign({ sub: 's', aud: DEFAULT_AUDIENCE }, { lifetimeSeconds: 7200 });
    const refused = await runCli(['token', 'verify', '-', '--issuer', issuer.url, '--json'], { stdin: longLived });
    assert.equal(JSON.parse(refused.stdout).check, 'lifetime_exceeded');
    const accepted = await runCli(['token', 'verify', '-', '--issuer', issuer.url, '--max-lifetime', '7200'], { stdin: longLived });
    assert.equal(accepted.code, 0, accepted.stderr);
  });

  it('exchange prints a redacted access token; --show-token prints it; a denial exits 1 with the 401', async () => {
    const federation = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'repo:acme/api:*', audience: DEFAULT_AUDIENCE } });
    const base = [
      'token',
      'exchange',
      '--token',
      '-',
      '--rule',
      federation.rule.id,
      '--org',
      server.organizationId,
      '--workspace',
      'default',
      '--base-url',
      server.url,
    ];
    const redacted = await runCli(base, { stdin: await issuer.sign({ sub: 'repo:acme/api:ref:refs/heads/main', aud: DEFAULT_AUDIENCE, jti: 'a1' }) });
    assert.equal(redacted.code, 0, redacted.stderr);
    assert.match(redacted.stdout, /^access_token: sk-ant-oat01-…[\w-]{4} \[redacted, \d+ chars; --show-token prints it\]$/m);
    assert.match(redacted.stdout, /^expires_in: +\d+$/m);

    const shown = await runCli([...base, '--show-token', '--json'], {
      stdin: await issuer.sign({ sub: 'repo:acme/api:ref:refs/heads/main', aud: DEFAULT_AUDIENCE, jti: 'a2' }),
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(JSON.parse(shown.stdout).access_token, /^sk-ant-oat01-[A-Za-z0-9_-]{20,}$/);

    const denied = await runCli(base, { stdin: await issuer.sign({ sub: 'repo:evil/api:ref:refs/heads/main', aud: DEFAULT_AUDIENCE }) });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /exchange failed: 401 authentication_error: Authentication failed \(request req_\w+\)/);
    assert.doesNotMatch(denied.stderr, /sk-ant-oat01/);
  });

  it('fetch reads a Kubernetes projected token through @openwif/client, redacted; imds without --resource is a usage error', async () => {
    const token = await issuer.sign({ sub: 'system:serviceaccount:prod:worker', aud: [DEFAULT_AUDIENCE] });
    const file = join(dir, 'projected-token');
    writeFileSync(file, token);
    const result = await runCli(['token', 'fetch', '--from', 'k8s', '--token-file', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^sub: +system:serviceaccount:prod:worker$/m);
    assert.match(result.stdout, /^token: +\S+…\S{4} \[redacted/m);
    assert.ok(!result.stdout.includes(token));

    const imds = await runCli(['token', 'fetch', '--from', 'imds']);
    assert.equal(imds.code, 2);
    assert.match(imds.stderr, /--from imds needs --resource/);
  });
});
