/**
 * Entra's error catalog (the codes the emulator can produce) and its exact JSON error shape:
 * `{error, error_description: "AADSTS<code>: … Trace ID: … Correlation ID: … Timestamp: …",
 * error_codes, timestamp, trace_id, correlation_id, error_uri}`.
 */
import { randomUUID } from 'node:crypto';

const CATALOG = {
  50027: { error: 'invalid_request', status: 400 },
  70003: { error: 'unsupported_grant_type', status: 400 },
  70011: { error: 'invalid_scope', status: 400 },
  90002: { error: 'invalid_request', status: 400 },
  90061: { error: 'invalid_request', status: 400 },
  500011: { error: 'invalid_resource', status: 400 },
  700016: { error: 'unauthorized_client', status: 400 },
  700024: { error: 'invalid_client', status: 401 },
  700027: { error: 'invalid_client', status: 401 },
  700211: { error: 'invalid_client', status: 401 },
  700212: { error: 'invalid_client', status: 401 },
  700213: { error: 'invalid_client', status: 401 },
  900144: { error: 'invalid_request', status: 400 },
  7000218: { error: 'invalid_client', status: 401 },
} as const;

export type AadstsCode = keyof typeof CATALOG;

export class AadstsError extends Error {
  readonly code: AadstsCode;
  readonly oauthError: string;
  readonly status: number;

  constructor(code: AadstsCode, message: string) {
    super(`AADSTS${code}: ${message}`);
    this.name = 'AadstsError';
    this.code = code;
    this.oauthError = CATALOG[code].error;
    this.status = CATALOG[code].status;
  }
}

export interface AadstsErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/** Entra's `YYYY-MM-DD HH:MM:SSZ`. */
export function entraTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Echoes a well-formed caller `client-request-id` as Entra does; otherwise invents one. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^[0-9a-f-]{36}$/i.test(value) ? value : randomUUID();
}

export function aadstsErrorBody(error: AadstsError, context: { now: Date; correlationId: string; authorityBaseUrl: string }): AadstsErrorBody {
  const traceId = randomUUID();
  const timestamp = entraTimestamp(context.now);
  return {
    error: error.oauthError,
    error_description: `${error.message} Trace ID: ${traceId} Correlation ID: ${context.correlationId} Timestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: traceId,
    correlation_id: context.correlationId,
    error_uri: `${context.authorityBaseUrl}/error?code=${error.code}`,
  };
}
