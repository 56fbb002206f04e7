import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createStandInServer, StandInUpstream } from '../../src/gateway/index.ts';
import { ClientWatch } from '../../src/gateway/upstream.ts';
import { withAnthropicEnv } from '../compat/sdk-fixture.ts';
import { DEFAULT_AUDIENCE, seedFederation } from '../helpers/federation-fixture.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { mintToken, RecordingUpstream, startGatewayServer, type GatewayTestServer } from './helpers.ts';

const PARAMS = { model: 'claude-sonnet-5-5', max_tokens: 256, messages: [{ role: 'user' as const, content: 'Ping from the SDK' }] };

/** The SDK authenticates itself through federation (ANTHROPIC_* variables → POST /v1/oauth/token), then calls the gateway. */
async function withFederatedClient<T>(server: GatewayTestServer, issuer: TestIssuer, body: (client: Anthropic) => Promise<T>): Promise<T> {
  const subject = `sdk-${randomUUID()}`;
  const federation = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: subject }, rule: { oauth_scope: 'workspace:inference' } });
  const dir = await mkdtemp(join(tmpdir(), 'openwif-sdk-'));
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, await issuer.sign({ sub: subject, aud: DEFAULT_AUDIENCE, jti: randomUUID() }));
  return withAnthropicEnv(
    {
      ANTHROPIC_FEDERATION_RULE_ID: federation.rule.id,
      ANTHROPIC_ORGANIZATION_ID: server.organizationId,
      ANTHROPIC_SERVICE_ACCOUNT_ID: federation.serviceAccount.id,
      ANTHROPIC_IDENTITY_TOKEN_FILE: tokenFile,
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_CONFIG_DIR: dir,
    },
    () => body(new Anthropic({ maxRetries: 0 })),
  );
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the official SDK through the gateway, against the stand-in model (dev mode)', () => {
  let server: GatewayTestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startGatewayServer();
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('messages.create and messages.stream, with a federated client', async () => {
    const { created, streamed, deltas } = await withFederatedClient(server, issuer, async (client) => {
      const created = await client.messages.create(PARAMS);
      const deltas: string[] = [];
      const stream = client.messages.stream(PARAMS).on('text', (t) => deltas.push(t));
      return { created, streamed: await stream.finalMessage(), deltas };
    });
    const text = created.content[0]?.type === 'text' ? created.content[0].text : '';
    assert.match(text, /^OpenWIF stand-in model: you said "Ping from the SDK"/);
    assert.deepEqual(streamed.content, created.content, 'the streamed message assembles to the same content');
    assert.equal(streamed.stop_reason, 'end_turn');
    assert.ok(deltas.length > 1, 'text arrived in several deltas');
    assert.equal(deltas.join(''), text);
  });

  test('messages.countTokens and models.list with a minted token as authToken', async () => {
    const { token } = await mintToken(server, issuer, { scope: 'workspace:inference' });
    const client = new Anthropic({ baseURL: server.url, authToken: token, maxRetries: 0 });
    const count = await client.messages.countTokens({ model: PARAMS.model, messages: PARAMS.messages });
    assert.ok(count.input_tokens > 0);
    const models = await client.models.list();
    assert.equal(models.data.length, 1);
  });

  test('a bad token surfaces as AuthenticationError, an org:admin token as PermissionDeniedError', async () => {
    const bad = new Anthropic({ baseURL: server.url, authToken: 'sk-ant-oat01-not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa', maxRetries: 0 });
    await assert.rejects(bad.messages.create(PARAMS), Anthropic.AuthenticationError);
    const { token } = await mintToken(server, issuer, { scope: 'org:admin' });
    const admin = new Anthropic({ baseURL: server.url, authToken: token, maxRetries: 0 });
    await assert.rejects(admin.messages.create(PARAMS), Anthropic.PermissionDeniedError);
  });
});

describe('the official SDK through the gateway, against a recording upstream', () => {
  let upstream: RecordingUpstream;
  let standInServer: Server;
  let server: GatewayTestServer;
  let issuer: TestIssuer;

  before(async () => {
    upstream = await RecordingUpstream.start();
    // The recording upstream answers as the stand-in would, so the SDK gets real shapes back.
    const model = new StandInUpstream();
    upstream.behaviour = async (req, res, body) => {
      const answer = await model.send({
        method: req.method!,
        pathAndQuery: req.url!,
        headers: req.headers,
        body: Readable.from([body]),
        apiKey: null,
        client: new ClientWatch(),
      });
      res.writeHead(answer.status, { ...answer.headers, 'request-id': 'req_recorded_upstream' });
      answer.body.pipe(res);
    };
    standInServer = createStandInServer();
    server = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: 'sk-ant-api03-sdk-upstream' } });
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
    standInServer.close();
  });

  test('create and stream reach the upstream with the server key and without the client token or oauth beta', async () => {
    const before = upstream.requests.length;
    const { created, streamed, requestId } = await withFederatedClient(server, issuer, async (client) => {
      const { data: created, response } = await client.messages.create(PARAMS).withResponse();
      const streamed = await client.messages.stream(PARAMS).finalMessage();
      return { created, streamed, requestId: response.headers.get('request-id') };
    });
    assert.equal(requestId, 'req_recorded_upstream', 'the upstream request id reaches the SDK');
    assert.match(created.content[0]?.type === 'text' ? created.content[0].text : '', /stand-in/);
    assert.deepEqual(streamed.content, created.content);
    const calls = upstream.requests.slice(before);
    assert.equal(calls.length, 2);
    for (const c of calls) {
      assert.equal(c.url, '/v1/messages');
      assert.equal(c.headers['x-api-key'], 'sk-ant-api03-sdk-upstream');
      assert.equal(c.headers.authorization, undefined);
      assert.doesNotMatch(String(c.headers['anthropic-beta'] ?? ''), /oauth-2025-04-20/);
      assert.ok(c.headers['anthropic-version'], 'the SDK version header is relayed');
    }
    assert.equal(JSON.parse(calls[1]!.body.toString()).stream, true);
  });

  test('the exported stand-in server works as a loopback upstream', async () => {
    const url = await listen(standInServer);
    const viaStandIn = await startGatewayServer({ settings: { upstreamUrl: url, upstreamApiKey: 'unused-by-the-stand-in' } });
    try {
      const { token } = await mintToken(viaStandIn, issuer, { scope: 'workspace:inference' });
      const client = new Anthropic({ baseURL: viaStandIn.url, authToken: token, maxRetries: 0 });
      const message = await client.messages.stream(PARAMS).finalMessage();
      assert.match(message.content[0]?.type === 'text' ? message.content[0].text : '', /^OpenWIF stand-in model/);
    } finally {
      await viaStandIn.close();
    }
  });
});
