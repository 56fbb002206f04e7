import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { OutboundPolicy } from './outbound-policy.ts';

export class FetchError extends Error {
  override name = 'FetchError';
}

export interface SafeFetchOptions {
  policy: OutboundPolicy;
  /** Extra trust anchor for a private PKI (issuer `ca_cert_pem`); added to the public roots. */
  caCertPem?: string | null;
  timeoutMs?: number;
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * GET a JSON document from an issuer-controlled URL: the policy is applied to the URL and to
 * every address DNS returns at connect time; no redirects; a hard timeout for the whole request
 * and a cap on the body size. Errors never include response bodies.
 */
export async function fetchJson(rawUrl: string, options: SafeFetchOptions): Promise<unknown> {
  const problem = options.policy.checkUrl(rawUrl);
  if (problem !== null) throw new FetchError(`${rawUrl}: ${problem}`);
  const url = new URL(rawUrl);
  const allowedHost = options.policy.isAllowedHost(url.hostname);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  const lookup: LookupFunction = (hostname, opts, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const denied = list.find((a) => !allowedHost && !options.policy.isAllowedAddress(a.address) && !options.policy.isPublicAddress(a.address));
      if (denied || list.length === 0) {
        return callback(new FetchError(`${url.hostname} resolves to a non-public address`), '', 4);
      }
      if ((opts as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };

  const body = await new Promise<Buffer>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const caOptions = options.caCertPem ? { ca: [...tls.rootCertificates, options.caCertPem] } : {};
    const req = client.request(
      url,
      { method: 'GET', headers: { accept: 'application/json', 'user-agent': 'openwif' }, lookup, ...caOptions, timeout: timeoutMs },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.resume();
          reject(new FetchError(`${rawUrl}: HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new FetchError(`${rawUrl}: response larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(() => req.destroy(new FetchError(`${rawUrl}: timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new FetchError(`${rawUrl}: timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof FetchError ? err : new FetchError(`${rawUrl}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    req.on('close', () => clearTimeout(deadline));
    req.end();
  });

  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new FetchError(`${rawUrl}: response is not JSON`);
  }
}
