import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Where the gateway sends a call: the real API over HTTP(S), or the built-in stand-in model
 * in dev mode. Both answer with a status, headers and a body stream, so the relay code is one.
 */
export interface Upstream {
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
}

export interface UpstreamRequest {
  method: string;
  /** Path and query, exactly as the client sent them (already checked by the path policy). */
  pathAndQuery: string;
  /** The client's headers; the upstream implementation filters and completes them. */
  headers: IncomingHttpHeaders;
  /** The request body (already size-capped), or null for bodiless methods. */
  body: Readable | null;
  /** The workspace's upstream API key (null: the upstream needs none, as the stand-in). */
  apiKey: string | null;
  /** Says when the client goes away: the upstream call stops with it. */
  client: ClientWatch;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export type UpstreamTimeoutPhase = 'connect' | 'response_headers' | 'idle' | 'total';

/** The upstream did not answer in time. Becomes 504 `timeout_error` (or ends a stream already under way). */
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
  constructor(readonly phase: UpstreamTimeoutPhase) {
    super(`upstream ${phase.replace('_', ' ')} timeout`);
  }
}

/** The upstream could not be reached or dropped the connection. Becomes 502 `api_error`. */
export class UpstreamUnreachableError extends Error {
  override name = 'UpstreamUnreachableError';
  constructor(readonly code: string) {
    super(`upstream unreachable (${code})`);
  }
}

/**
 * Whether the client of a call is still there, and what to stop when it leaves. An AbortSignal
 * would do, but one AbortController and its listener per call costs measurable CPU at gateway
 * rates, and a call never needs more than one listener.
 */
export class ClientWatch {
  private goneFlag = false;
  private stop: (() => void) | null = null;

  get gone(): boolean {
    return this.goneFlag;
  }

  /** Runs `stop` once when the client leaves (at once if it has); the function returned cancels it. One listener at a time. */
  onGone(stop: () => void): () => void {
    if (this.goneFlag) {
      stop();
      return () => undefined;
    }
    this.stop = stop;
    return () => {
      if (this.stop === stop) this.stop = null;
    };
  }

  /** The client's connection closed before its response was complete. */
  markGone(): void {
    if (this.goneFlag) return;
    this.goneFlag = true;
    const stop = this.stop;
    this.stop = null;
    stop?.();
  }
}

/** The client disconnected before the upstream answered: nothing is left to reply to. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}
