import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidCursorError, NameConflictError, StoreUnavailableError } from '../storage/ports.ts';
import { HttpError, type ErrorType } from './errors.ts';

export interface ErrorEnvelope {
  type: 'error';
  error: { type: ErrorType; message: string; details?: { error_code: string } };
  request_id: string;
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  const body: ErrorEnvelope = {
    type: 'error',
    error: { type: err.type, message: err.message, ...(err.errorCode ? { details: { error_code: err.errorCode } } : {}) },
    request_id: String(reply.request.id),
  };
  return reply.code(err.status).header('content-type', 'application/json; charset=utf-8').send(body);
}

/**
 * Maps every failure to the envelope. Client mistakes the framework detects (bad JSON, schema
 * violations, oversize bodies, wrong content type) keep their 4xx status with a clear message;
 * anything unexpected is logged and masked as a 500 so no stack trace or internal text leaks.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    if (err instanceof NameConflictError) return sendError(reply, new HttpError(409, 'conflict_error', err.message));
    if (err instanceof StoreUnavailableError) {
      request.log.error({ err: err.message }, 'backing store unavailable');
      return sendError(reply, new HttpError(503, 'service_unavailable_error', 'A backing service is unavailable; retry later.'));
    }
    if (err instanceof InvalidCursorError) return sendError(reply, new HttpError(400, 'invalid_request_error', err.message));
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, new HttpError(400, 'invalid_request_error', validationMessage(fe)));
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, new HttpError(413, 'request_too_large', 'Request body is too large.'));
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(reply, new HttpError(415, 'invalid_request_error', 'Unsupported content type: send application/json.'));
    }
    if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return sendError(reply, new HttpError(400, 'invalid_request_error', 'Request body is not valid JSON.'));
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return sendError(reply, new HttpError(400, 'invalid_request_error', 'Invalid Content-Length.'));
    if (typeof fe.statusCode === 'number' && fe.statusCode === 429) {
      return sendError(reply, new HttpError(429, 'rate_limit_error', 'Rate limit exceeded; retry later.'));
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, new HttpError(fe.statusCode, 'invalid_request_error', 'The request could not be processed.'));
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, new HttpError(500, 'api_error', 'Internal server error.'));
  });

  app.setNotFoundHandler((request, reply) => {
    const message = `Not found: ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}`;
    return sendError(reply, new HttpError(404, 'not_found_error', message));
  });
}

/** `body/name must match pattern …` → `name: must match pattern …`, naming the field as the API does. */
function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return 'Invalid request.';
  const path = (first.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (first.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const field = missing
    ? [path, missing].filter(Boolean).join('.')
    : extra
      ? [path, extra].filter(Boolean).join('.')
      : path || (err.validationContext ?? 'body');
  if (missing) return `${field}: Field required`;
  if (extra) return `${field}: Extra inputs are not permitted`;
  return `${field}: ${first.message ?? 'is invalid'}`;
}
