import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { AccessTokenGrant } from '../domain/types.ts';
import { badRequest, forbidden, HttpError } from '../http/errors.ts';
import type { ConfigReads } from '../storage/config-cache.ts';
import { assertScopeAllows, authenticateGatewayCall } from './authorize.ts';
import { BodyLimit, BodyTooLargeError, declaredLength } from './body-limit.ts';
import { CredentialSealError } from './credential-seal.ts';
import { classifyPath } from './forwarded-paths.ts';
import type { GatewayOptions } from './options.ts';
import { CONCURRENCY_RETRY_AFTER_SECONDS, type ConcurrencySlot, type RateLimiter } from './rate-limiter.ts';
import { relayBody } from './relay-body.ts';
import { ClientGoneError, ClientWatch, UpstreamTimeoutError, UpstreamUnreachableError, type Upstream, type UpstreamResponse } from './upstream.ts';
import { downstreamResponseHeaders } from './upstream-headers.ts';
import { upstreamKeyFor } from './upstream-key.ts';

export interface ForwardContext {
  deps: AppDeps;
  /** Null when no upstream is configured (and no stand-in): every forwarded call is a 503. */
  upstream: Upstream | null;
  /** False for the stand-in, which needs no upstream key. */
  needsUpstreamKey: boolean;
  limiter: RateLimiter;
  options: GatewayOptions;
}

/** HTTP status recorded for a call whose client left before the response was complete (nginx's convention). */
const CLIENT_CLOSED = 499;

/**
 * One gateway call, in order: path policy → token → scope → size → rate and concurrency →
 * upstream key → forward → relay. Everything before "forward" is a local error in the standard
 * envelope; after it, the upstream's status and body are the client's.
 */
export function forwardHandler(ctx: ForwardContext) {
  const { deps, options } = ctx;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const started = performance.now();
    const [path = '', query] = splitOnce(request.url, '?');
    const verdict = classifyPath(path, request.method, deps.settings.gatewayAllowPaths);
    if (!verdict.forward) {
      if (verdict.reason === 'not_canonical') throw badRequest('The gateway forwards only plain /v1/ paths (no percent-encoding, empty or dot segments).');
      return reply.callNotFound();
    }

    const config = await deps.config.view();
    const grant = await authenticateGatewayCall(config, request, deps.now());
    reply.header('anthropic-workspace-id', grant.workspace_id);
    // One close listener per call does all the clean-up: counting, the concurrency slot and
    // stopping the upstream call if the client left before its response was complete.
    const client = new ClientWatch();
    let slot: ConcurrencySlot | null = null;
    reply.raw.once('close', () => {
      const finished = reply.raw.writableFinished;
      if (!finished) client.markGone();
      slot?.release();
      count(ctx, grant, finished ? reply.raw.statusCode : CLIENT_CLOSED);
    });
    assertScopeAllows(grant, verdict.scope, request.method, path);

    const declared = declaredLength(request.headers['content-length']);
    if (declared !== null && declared > options.maxBodyBytes) throw tooLarge(reply, options.maxBodyBytes);
    slot = await takeRateAndSlot(ctx.limiter, grant, reply);
    // The client may have left while the slot was being taken; it goes back at once then.
    if (client.gone) slot.release();

    if (ctx.upstream === null) throw new HttpError(503, 'service_unavailable_error', 'The gateway has no upstream API configured (OPENWIF_UPSTREAM_URL).');
    const upstream = ctx.upstream;
    const upstreamKey = ctx.needsUpstreamKey ? await keyFor(ctx, config, grant, request) : null;
    // The server's idle-socket timeout is for admin calls; a model may think for minutes before answering.
    request.raw.socket.setTimeout(Math.max(options.timeouts.responseHeadersMs, options.timeouts.idleMs) + 5_000);

    let response: UpstreamResponse;
    try {
      response = await upstream.send({
        method: request.method,
        pathAndQuery: query === undefined ? path : `${path}?${query}`,
        headers: request.headers,
        body: upstreamBody(request.raw, options.maxBodyBytes),
        apiKey: upstreamKey,
        client,
      });
    } catch (err) {
      if (err instanceof ClientGoneError) return reply.hijack();
      throw toHttpError(err, reply, options.maxBodyBytes, request);
    }
    deps.metrics.gatewaySeconds.observe((performance.now() - started) / 1000);

    if (response.status === 401 && ctx.needsUpstreamKey) {
      // Passed through, a 401 would make the SDK throw away a perfectly good token and re-exchange.
      response.body.destroy();
      request.log.warn({ workspace_id: grant.workspace_id }, 'upstream rejected the upstream credential');
      throw new HttpError(502, 'api_error', 'The upstream API rejected the upstream credential configured for this workspace.');
    }
    return relay(reply, request, response, grant, client, options);
  };
}

function relay(
  reply: FastifyReply,
  request: FastifyRequest,
  response: UpstreamResponse,
  grant: AccessTokenGrant,
  client: ClientWatch,
  options: GatewayOptions,
): FastifyReply {
  const headers = downstreamResponseHeaders(response.headers);
  const contentType = String(response.headers['content-type'] ?? '');
  const sse = contentType.startsWith('text/event-stream');
  if (sse) delete headers['content-length'];
  const upstreamRequestId = response.headers['request-id'];
  const body = relayBody(response.body, {
    sse,
    timeouts: options.timeouts,
    requestId: String(request.id),
    onDone: (outcome) => {
      // Once the client has gone, the upstream body is cut on purpose.
      if (outcome === 'failed' && !client.gone) request.log.warn({ workspace_id: grant.workspace_id }, 'upstream response ended early');
    },
  });
  return reply
    .code(response.status)
    .headers(headers)
    .header('request-id', typeof upstreamRequestId === 'string' ? upstreamRequestId : String(request.id))
    .header('anthropic-workspace-id', grant.workspace_id)
    .send(body);
}

async function takeRateAndSlot(limiter: RateLimiter, grant: AccessTokenGrant, reply: FastifyReply): Promise<ConcurrencySlot> {
  const decision = await limiter.take(grant.service_account_id);
  if (!decision.allowed) {
    reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new HttpError(429, 'rate_limit_error', 'This service account has exceeded its request rate limit; retry after the time in the retry-after header.');
  }
  const slot = await limiter.open(grant.service_account_id);
  if (slot === null) {
    reply.header('retry-after', String(CONCURRENCY_RETRY_AFTER_SECONDS));
    throw new HttpError(429, 'rate_limit_error', 'This service account has too many requests in flight; retry when one has finished.');
  }
  return slot;
}

async function keyFor(ctx: ForwardContext, config: ConfigReads, grant: AccessTokenGrant, request: FastifyRequest): Promise<string> {
  let found;
  try {
    found = await upstreamKeyFor(config.upstreamCredentials, ctx.deps.settings, grant);
  } catch (err) {
    if (!(err instanceof CredentialSealError)) throw err;
    request.log.error({ workspace_id: grant.workspace_id, problem: err.message }, 'cannot open the upstream credential');
    throw new HttpError(500, 'api_error', 'The upstream credential for this workspace cannot be used.');
  }
  if (found === null) {
    throw forbidden(
      'No upstream API credential is configured for this workspace; an administrator can set one with PUT /v1/organizations/workspaces/{workspace_id}/upstream_credential.',
    );
  }
  return found.key;
}

function toHttpError(err: unknown, reply: FastifyReply, maxBodyBytes: number, request: FastifyRequest): unknown {
  if (err instanceof BodyTooLargeError) return tooLarge(reply, maxBodyBytes);
  if (err instanceof UpstreamTimeoutError) {
    request.log.warn({ phase: err.phase }, 'upstream timeout');
    return new HttpError(504, 'timeout_error', 'The upstream API did not respond in time.');
  }
  if (err instanceof UpstreamUnreachableError) {
    request.log.warn({ code: err.code }, 'upstream unreachable');
    return new HttpError(502, 'api_error', 'The upstream API could not be reached.');
  }
  return err;
}

function tooLarge(reply: FastifyReply, maxBodyBytes: number): HttpError {
  // The rest of an oversized body is not worth reading just to keep the connection.
  reply.header('connection', 'close');
  return new HttpError(413, 'request_too_large', `Request body is too large; the gateway accepts at most ${maxBodyBytes} bytes.`);
}

function count(ctx: ForwardContext, grant: AccessTokenGrant, status: number): void {
  ctx.deps.metrics.gatewayRequests.inc({ workspace_id: grant.workspace_id, service_account_id: grant.service_account_id, status: String(status) });
}

/**
 * The request body as the upstream will read it, or null when there is none. A declared
 * Content-Length (already checked against the cap) is enforced by the HTTP parser, which never
 * delivers more; only a chunked body has to be counted on its way through.
 */
function upstreamBody(raw: IncomingMessage, limit: number): Readable | null {
  if (raw.headers['transfer-encoding'] !== undefined) return capped(raw, limit);
  const length = declaredLength(raw.headers['content-length']);
  return length !== null && length > 0 ? raw : null;
}

function capped(raw: IncomingMessage, limit: number): Readable {
  const limited = new BodyLimit(limit);
  // pipe(), not pipeline(): destroying the request on overflow would cut the connection before the 413.
  raw.once('error', (err) => limited.destroy(err));
  raw.pipe(limited);
  return limited;
}

function splitOnce(value: string, separator: string): [string, string | undefined] {
  const at = value.indexOf(separator);
  return at === -1 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}
