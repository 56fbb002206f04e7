/**
 * Error hierarchy of `@openwif/client`.
 *
 * Two failure families are kept apart on purpose, because they need different
 * fixes: an {@link IdentityTokenError} means the workload could not obtain a
 * token from its own platform (IMDS, Entra, GitHub, a token file, …), while a
 * {@link WorkloadIdentityError} means the token endpoint refused or failed the
 * exchange. Neither ever carries an assertion, access token or client secret in
 * its message or fields.
 */

/** Base class of every runtime error raised by this package. Misuse of the API throws `TypeError` instead. */
export class WorkloadCredentialsError extends Error {
  override name = 'WorkloadCredentialsError';
}

export interface IdentityTokenErrorDetails {
  /** Which token source failed, e.g. `azure-imds`, `entra-federated`, `github-actions`, `file`. */
  platform: string;
  /** HTTP status from the platform endpoint, or `null` for network, file or parse failures. */
  statusCode?: number | null;
  /** Platform error code when one was returned (e.g. `AADSTS700213`, `invalid_request`). */
  errorCode?: string | null;
  cause?: unknown;
}

/** The workload could not obtain an identity token (JWT) from its platform. */
export class IdentityTokenError extends WorkloadCredentialsError {
  override name = 'IdentityTokenError';
  readonly platform: string;
  readonly statusCode: number | null;
  readonly errorCode: string | null;

  constructor(message: string, details: IdentityTokenErrorDetails) {
    super(`${details.platform}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.platform = details.platform;
    this.statusCode = details.statusCode ?? null;
    this.errorCode = details.errorCode ?? null;
  }
}

/**
 * The token exchange (`POST /v1/oauth/token`) failed: denied (4xx), server
 * error (5xx), network failure (`statusCode: null`) or an unusable response.
 * Same fields as the official SDK's `WorkloadIdentityError`.
 */
export class WorkloadIdentityError extends WorkloadCredentialsError {
  override name = 'WorkloadIdentityError';
  readonly statusCode: number | null;
  /** The error body reduced by redaction (§9.10): never contains tokens. */
  readonly body: unknown;
  readonly requestId: string | null;

  constructor(message: string, statusCode: number | null = null, body: unknown = null, requestId: string | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
    this.body = body;
    this.requestId = requestId;
  }
}
