import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { newRequestId } from '../../http/request-id.ts';
import { ClientGoneError, type ClientWatch, type Upstream, type UpstreamRequest, type UpstreamResponse } from '../upstream.ts';
import { countTokens, parseMessagesRequest, replyTo, STAND_IN_MODEL, STAND_IN_MODEL_ID, StandInInputError, streamEventsFor } from './stand-in-model.ts';

/** The stand-in reads whole request bodies; it needs far less than the gateway's cap. */
const MAX_STAND_IN_BODY = 1024 * 1024;

class StandInBodyTooLarge extends Error {}

/** The built-in stand-in model behind the Upstream port: dev mode in-process, or behind `createStandInServer` as a loopback API. */
export class StandInUpstream implements Upstream {
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const path = request.pathAndQuery.split('?')[0] ?? '';
    if (request.method === 'GET' && path === '/v1/models') {
      return json(200, { data: [STAND_IN_MODEL], has_more: false, first_id: STAND_IN_MODEL_ID, last_id: STAND_IN_MODEL_ID });
    }
    if (request.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = path.slice('/v1/models/'.length);
      return id === STAND_IN_MODEL_ID ? json(200, STAND_IN_MODEL) : error(404, 'not_found_error', `model: ${id.slice(0, 100)}`);
    }
    const isMessages = request.method === 'POST' && path === '/v1/messages';
    const isCount = request.method === 'POST' && path === '/v1/messages/count_tokens';
    if (!isMessages && !isCount) return error(404, 'not_found_error', `The OpenWIF stand-in model does not implement ${request.method} ${path.slice(0, 200)}.`);

    let bytes: Buffer;
    try {
      bytes = await readBody(request.body, request.client);
    } catch (err) {
      if (err instanceof StandInBodyTooLarge) return error(413, 'request_too_large', 'The stand-in model accepts request bodies up to 1 MiB.');
      throw err;
    }
    try {
      const body: unknown = JSON.parse(bytes.toString('utf8'));
      const parsed = parseMessagesRequest(body, { countOnly: isCount });
      if (isCount) return json(200, countTokens(parsed));
      const message = replyTo(parsed, bytes);
      if (!parsed.stream) return json(200, message);
      const frames = streamEventsFor(message).map((e) => Buffer.from(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
      frames.splice(2, 0, Buffer.from('event: ping\ndata: {"type": "ping"}\n\n'));
      return { status: 200, headers: headers('text/event-stream; charset=utf-8', { 'cache-control': 'no-cache' }), body: Readable.from(frames) };
    } catch (err) {
      if (err instanceof SyntaxError) return error(400, 'invalid_request_error', 'The request body is not valid JSON.');
      if (err instanceof StandInInputError) return error(400, 'invalid_request_error', err.message);
      throw err;
    }
  }
}

async function readBody(body: Readable | null, client: ClientWatch): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: true })) {
    if (client.gone) throw new ClientGoneError();
    size += (chunk as Buffer).length;
    if (size > MAX_STAND_IN_BODY) throw new StandInBodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headers(contentType: string, extra: Record<string, string> = {}): IncomingHttpHeaders {
  return { 'content-type': contentType, 'request-id': newRequestId(), ...extra };
}

function json(status: number, value: unknown): UpstreamResponse {
  const text = JSON.stringify(value);
  return {
    status,
    headers: headers('application/json', { 'content-length': String(Buffer.byteLength(text)) }),
    body: Readable.from([Buffer.from(text)]),
  };
}

function error(status: number, type: string, message: string): UpstreamResponse {
  return json(status, { type: 'error', error: { type, message }, request_id: null });
}
