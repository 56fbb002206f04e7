import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import { JWKS_DEFAULTS } from './jwks-defaults.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

export type FetchFailure =
  | 'url_refused'
  | 'address_refused'
  | 'dns_failed'
  | 'network'
  | 'tls'
  | 'timeout'
  | 'aborted'
  | 'redirect'
  | 'http_status'
  | 'too_large'
  | 'not_json'
  | 'invalid_document';

/** An outbound fetch failed. Messages name the URL and the cause, never the response body. */
export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    readonly code: FetchFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** DNS resolution, injectable so tests can make a public-looking name resolve anywhere. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export interface SafeFetchOptions {
  policy: OutboundPolicy;
  /** Extra trust anchor for a private PKI (issuer `ca_cert_pem`), added to the public roots. */
  caCertPem?: string | null | undefined;
  timeoutMs?: number | undefined;
  maxBytes?: number | undefined;
  resolveHost?: ResolveHost | undefined;
  signal?: AbortSignal | undefined;
}

const defaultResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * GET a JSON document from an issuer-controlled URL. The policy is applied to the URL and to
 * every address DNS returns at connect time (no pooled connections, so every fetch resolves
 * afresh); redirects are refused; one deadline covers the whole request; the body is capped.
 */
export async function fetchJson(rawUrl: string, options: SafeFetchOptions): Promise<unknown> {
  const problem = options.policy.checkUrl(rawUrl);
  if (problem !== null) throw new FetchError('url_refused', `${redacted(rawUrl)}: ${problem}`);
  const body = await getBody(new URL(rawUrl), options);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new FetchError('not_json', `${rawUrl}: response is not JSON`);
  }
}

function guardedLookup(url: URL, options: SafeFetchOptions): LookupFunction {
  const resolve = options.resolveHost ?? defaultResolve;
  return (hostname, lookupOptions, callback) => {
    const answer = (err: Error | null, list: ResolvedAddress[]) => {
      if (err) return callback(err as NodeJS.ErrnoException, '', 4);
      if ((lookupOptions as { all?: boolean }).all) return (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    };
    resolve(hostname).then(
      (list) => {
        if (list.length === 0) return answer(new FetchError('dns_failed', `${url.host}: no addresses`), []);
        const refused = list.find((a) => !options.policy.mayConnect(hostname, a.address));
        if (refused) return answer(new FetchError('address_refused', `${url.host} resolves to a non-public address (${refused.address})`), []);
        answer(null, list);
      },
      (err: NodeJS.ErrnoException) => answer(new FetchError('dns_failed', `${url.host}: DNS lookup failed (${err.code ?? 'error'})`), []),
    );
  };
}

function getBody(url: URL, options: SafeFetchOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? JWKS_DEFAULTS.fetchTimeoutMs;
  const maxBytes = options.maxBytes ?? JWKS_DEFAULTS.maxResponseBytes;
  const where = url.href;
  return new Promise<Buffer>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new FetchError('aborted', `${where}: aborted`));
    let req: http.ClientRequest;
    try {
      const client = url.protocol === 'https:' ? https : http;
      req = client.request(url, {
        method: 'GET',
        headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': 'openwif-jwks' },
        lookup: guardedLookup(url, options),
        agent: false,
        maxHeaderSize: 16 * 1024,
        ...(options.caCertPem ? { ca: [...tls.rootCertificates, options.caCertPem] } : {}),
      });
    } catch (err) {
      return reject(new FetchError('tls', `${where}: cannot set up the request (${(err as Error).message.slice(0, 200)})`));
    }
    const fail = (err: FetchError) => {
      reject(err);
      req.destroy();
    };
    const deadline = setTimeout(() => fail(new FetchError('timeout', `${where}: timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(new FetchError('aborted', `${where}: aborted`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => {
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
    });
    req.on('error', (err) => reject(err instanceof FetchError ? err : classifyNetworkError(where, err as NodeJS.ErrnoException)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) return fail(new FetchError('redirect', `${where}: HTTP ${status} (redirects are not followed)`));
      if (status < 200 || status >= 300) return fail(new FetchError('http_status', `${where}: HTTP ${status}`));
      if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
        return fail(new FetchError('too_large', `${where}: response larger than ${maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return fail(new FetchError('too_large', `${where}: response larger than ${maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', (err) => reject(err instanceof FetchError ? err : classifyNetworkError(where, err as NodeJS.ErrnoException)));
    });
    req.end();
  });
}

/** The URL for an error message, without any userinfo it carried. */
function redacted(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    url.username = '';
    url.password = '';
    return url.href.slice(0, 500);
  } catch {
    return 'the URL';
  }
}

function classifyNetworkError(where: string, err: NodeJS.ErrnoException): FetchError {
  const code = err.code ?? 'error';
  const isTls = code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
  return new FetchError(isTls ? 'tls' : 'network', `${where}: ${isTls ? 'TLS failure' : 'connection failed'} (${code})`);
}
