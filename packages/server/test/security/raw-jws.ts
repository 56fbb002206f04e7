import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigningKey } from '../helpers/test-issuer.ts';

/**
 * Hostile-JWS construction: signs exactly the header and payload *text* given (duplicate keys,
 * odd numbers, any alg label), which no well-behaved JWT library will produce.
 */
export const b64url = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');
export const b64json = (value: unknown) => b64url(JSON.stringify(value));

const SIGN_PARAMS: Record<string, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  RS384: { name: 'RSASSA-PKCS1-v1_5' },
  RS512: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  ES384: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
};

/** Signs `headerText.payloadText` (both raw JSON text, base64url-encoded here) with the key's own algorithm. */
export async function signText(headerText: string, payloadText: string, key: SigningKey): Promise<string> {
  const input = `${b64url(headerText)}.${b64url(payloadText)}`;
  const params = SIGN_PARAMS[key.alg];
  if (!params) throw new Error(`raw signing not set up for ${key.alg}`);
  const signature = await crypto.subtle.sign(params, key.privateKey, new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(signature))}`;
}

/** Signs a header object and a payload object verbatim (the header may claim any alg). */
export function signJson(header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey): Promise<string> {
  return signText(JSON.stringify(header), JSON.stringify(payload), key);
}

/** A loopback HTTP server that counts every request it gets: proof that nothing dialled it. */
export class RequestCounter {
  hits: string[] = [];
  url = '';
  private server: Server | null = null;

  static async start(host = '127.0.0.1'): Promise<RequestCounter> {
    const counter = new RequestCounter();
    counter.server = createServer((req, res) => {
      counter.hits.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => counter.server!.listen(0, host, resolve));
    const { port } = counter.server.address() as AddressInfo;
    counter.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return counter;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
