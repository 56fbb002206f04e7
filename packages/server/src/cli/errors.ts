import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { printable } from '../domain/printable.ts';

/** Exit codes (docs/cli.md): 0 ok, 1 the operation failed, 2 the command line or an input file is wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is meant for the operator, with the exit code it maps to. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad flags, bad arguments or an invalid input file: nothing was sent to the server. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

const MAX_SERVER_MESSAGE_LENGTH = 500;

/**
 * One readable line for a failed Admin API call: status, error type, the server's message and the
 * request ID (what support needs). Control characters are stripped: the text comes from a server.
 */
export function describeApiError(err: unknown): string | null {
  if (err instanceof APIConnectionTimeoutError) return 'request timed out (no answer from the server)';
  if (err instanceof APIConnectionError) return `cannot reach the server: ${sanitize(causeMessage(err))}`;
  if (!(err instanceof APIError)) return null;
  const status = err.status ?? 'no status';
  const type = err.type ?? 'error';
  const message = err.apiMessage ?? (err.status === 404 ? 'not found' : 'no message');
  const requestId = err.requestID ? ` (request ${sanitize(err.requestID)})` : '';
  return `${status} ${sanitize(type)}: ${sanitize(message)}${requestId}`;
}

function causeMessage(err: APIConnectionError): string {
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err.message;
}

/** `printable` with the CLI's default cap: for text from outside (servers, tokens) shown in the terminal. */
export function sanitize(text: string, maxLength = MAX_SERVER_MESSAGE_LENGTH): string {
  return printable(text, maxLength);
}
