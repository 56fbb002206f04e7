// Baseline (c): a certified OAuth server doing the same job. oidc-provider's client_credentials
// grant with private_key_jwt client authentication: it verifies a signed client assertion
// (signature, claims, jti replay) and mints an opaque access token, like our exchange does.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK ?? '{}') as Record<string, unknown>;
const alg = process.env.BENCH_ALG ?? 'RS256';
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-client',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: alg,
      jwks: { keys: [clientJwk] },
    },
  ],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  ttl: { ClientCredentials: 600 },
});
server.on('request', provider.callback());
process.stdout.write(`listening on ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
