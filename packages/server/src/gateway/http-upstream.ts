import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { BodyTooLargeError } from './body-limit.ts';
import type { UpstreamTimeouts } from './options.ts';
import { ClientGoneError, UpstreamTimeoutError, UpstreamUnreachableError, type Upstream, type UpstreamRequest, type UpstreamResponse } from './upstream.ts';
import { upstreamRequestHeaders } from './upstream-headers.ts';

/**
 * The real upstream API over node:http/https. Bodies stream both ways; the connection and the
 * wait for response headers are timed here, the response body by the relay. One keep-alive
 * agent per gateway, with a bounded socket pool, destroyed by `close()`.
 */
export class HttpUpstream implements Upstream {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(
    baseUrl: string,
    private readonly timeouts: UpstreamTimeouts,
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new TypeError('upstream URL must be http(s)');
    const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 32 };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      if (request.signal.aborted) return reject(new ClientGoneError());
      const url = new URL(request.pathAndQuery, this.base);
      const headers = upstreamRequestHeaders(request.headers, { host: url.host, apiKey: request.apiKey });
      const transport = url.protocol === 'https:' ? https : http;
      const outgoing = transport.request(url, { method: request.method, headers, agent: this.agent });
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      // The body's own failure (e.g. over the size cap) is the real cause of the request error that follows.
      let bodyError: Error | null = null;

      const onAbort = () => outgoing.destroy(new ClientGoneError());
      request.signal.addEventListener('abort', onAbort, { once: true });
      const stopListening = () => request.signal.removeEventListener('abort', onAbort);

      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        timers.forEach(clearTimeout);
        stopListening();
        reject(classify(bodyError ?? err, request.signal));
      };

      timers.push(setTimeout(() => outgoing.destroy(new UpstreamTimeoutError('response_headers')), this.timeouts.responseHeadersMs));
      outgoing.once('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => outgoing.destroy(new UpstreamTimeoutError('connect')), this.timeouts.connectMs);
        timers.push(timer);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      });
      outgoing.on('error', fail);
      outgoing.once('response', (response) => {
        settled = true;
        timers.forEach(clearTimeout);
        // The abort listener stays until the body is done: a client that leaves mid-stream ends the upstream call.
        response.once('close', stopListening);
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

/** Our own failures keep their type; anything the socket layer throws means "unreachable". */
function classify(err: Error, signal: AbortSignal): Error {
  if (err instanceof UpstreamTimeoutError || err instanceof BodyTooLargeError || err instanceof ClientGoneError) return err;
  if (signal.aborted) return new ClientGoneError();
  const code = (err as NodeJS.ErrnoException).code;
  return new UpstreamUnreachableError(typeof code === 'string' ? code : 'connection_failed');
}
