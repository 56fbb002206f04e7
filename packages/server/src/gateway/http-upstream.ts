import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { BodyTooLargeError } from './body-limit.ts';
import type { UpstreamTimeouts } from './options.ts';
import {
  ClientGoneError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  type ClientWatch,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream.ts';
import { upstreamRequestHeaders } from './upstream-headers.ts';

/**
 * The real upstream API over node:http/https. Bodies stream both ways; the connection and the
 * wait for response headers are timed here, the response body by the relay. One keep-alive
 * agent per gateway, with a bounded socket pool, destroyed by `close()`.
 */
export class HttpUpstream implements Upstream {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  /** Where every call goes, worked out once (IPv6 brackets removed, default port filled in by node). */
  private readonly target: Pick<http.RequestOptions, 'protocol' | 'hostname' | 'port'>;
  private readonly agent: http.Agent;

  constructor(
    baseUrl: string,
    private readonly timeouts: UpstreamTimeouts,
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new TypeError('upstream URL must be http(s)');
    const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 32 };
    this.transport = this.base.protocol === 'https:' ? https : http;
    const { protocol, hostname, port } = urlToHttpOptions(this.base);
    this.target = { protocol, hostname, port };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      if (request.client.gone) return reject(new ClientGoneError());
      const { base, timeouts } = this;
      const headers = upstreamRequestHeaders(request.headers, { host: base.host, apiKey: request.apiKey });
      const outgoing = this.transport.request({
        ...this.target,
        path: upstreamPath(request.pathAndQuery, base),
        method: request.method,
        headers,
        agent: this.agent,
      });
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      // The body's own failure (e.g. over the size cap) is the real cause of the request error that follows.
      let bodyError: Error | null = null;

      // Kept until the response body is done: a client that leaves mid-stream ends the upstream call.
      const stopWatching = request.client.onGone(() => outgoing.destroy(new ClientGoneError()));
      const headersTimer = setTimeout(() => outgoing.destroy(new UpstreamTimeoutError('response_headers')), timeouts.responseHeadersMs);
      const settle = () => {
        settled = true;
        clearTimeout(headersTimer);
        clearTimeout(connectTimer);
      };

      outgoing.once('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => outgoing.destroy(new UpstreamTimeoutError('connect')), timeouts.connectMs);
        socket.once(base.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      outgoing.on('error', (err) => {
        if (settled) return;
        settle();
        stopWatching();
        reject(classify(bodyError ?? err, request.client));
      });
      outgoing.once('response', (response) => {
        settle();
        response.once('close', stopWatching);
        resolve({ status: response.statusCode ?? 502, headers: response.headers, body: response });
      });

      if (request.body === null) {
        outgoing.end();
        return;
      }
      // pipe(), not pipeline(): pipeline aborts a ClientRequest with a bare "socket hang up", losing the cause.
      request.body.once('error', (err) => {
        bodyError = err;
        outgoing.destroy(err);
      });
      request.body.pipe(outgoing);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The request target upstream: the client's path and query as they are (the path policy already
 * allows only plain characters in the path; the upstream URL's own path is replaced, as
 * `new URL(path, base)` would). Parsing a URL per call is skipped unless something in the query
 * needs the WHATWG encoding, which node would otherwise refuse or pass on unencoded.
 */
function upstreamPath(pathAndQuery: string, base: URL): string {
  if (PLAIN_TARGET.test(pathAndQuery)) return pathAndQuery;
  const url = new URL(pathAndQuery, base);
  return `${url.pathname}${url.search}`;
}

/** Printable ASCII that the WHATWG URL parser leaves unchanged in a path or a special URL's query. */
const PLAIN_TARGET = /^\/[!$%&()*+,\-./0-9:;=?@A-Z[\]^_a-z|~]*$/;

/** Our own failures keep their type; anything the socket layer throws means "unreachable". */
function classify(err: Error, client: ClientWatch): Error {
  if (err instanceof UpstreamTimeoutError || err instanceof BodyTooLargeError || err instanceof ClientGoneError) return err;
  if (client.gone) return new ClientGoneError();
  const code = (err as NodeJS.ErrnoException).code;
  return new UpstreamUnreachableError(typeof code === 'string' ? code : 'connection_failed');
}
