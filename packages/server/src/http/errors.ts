import { OutcomeError } from '../domain/outcome-error.ts';

/**
 * The one error type routes throw. `error-handler.ts` renders it as the Anthropic envelope
 * (spec §2.3); any other exception becomes a masked 500.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'method_not_allowed_error'
  | 'conflict_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'service_unavailable_error'
  | 'timeout_error';

export class HttpError extends OutcomeError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, errorCode?: string) => new HttpError(400, 'invalid_request_error', message, errorCode);
export const notFound = (message: string) => new HttpError(404, 'not_found_error', message);
export const forbidden = (message: string) => new HttpError(403, 'permission_error', message);
export const unauthorized = (message: string) => new HttpError(401, 'authentication_error', message);
export const unavailable = (message: string) => new HttpError(503, 'service_unavailable_error', message);
