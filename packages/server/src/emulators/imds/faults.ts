/**
 * Injectable IMDS failures, consumed one per otherwise-valid token request, so tests can
 * drive a client's retry policy (404/410/429/5xx, optional Retry-After, or no answer at all).
 */

export type ImdsFaultStatus = 404 | 410 | 429 | 500 | 503;

export type ImdsFault =
  | { status: ImdsFaultStatus; retryAfterSeconds?: number; count?: number }
  /** Holds the request unanswered for `holdMs`, then drops the connection. */
  | { timeoutMs: number; count?: number };

export type PendingFault = { kind: 'status'; status: ImdsFaultStatus; retryAfterSeconds?: number } | { kind: 'timeout'; holdMs: number };

const MAX_QUEUED_FAULTS = 1000;
const MAX_HOLD_MS = 60_000;

/** Error bodies IMDS documents for each status. */
export const FAULT_BODIES: Record<ImdsFaultStatus, { error: string; error_description: string }> = {
  404: { error: 'not_found', error_description: 'The IMDS endpoint is updating.' },
  410: { error: 'service_unavailable', error_description: 'IMDS is being updated; retry within 70 seconds.' },
  429: { error: 'too_many_requests', error_description: 'Too many requests to the identity endpoint.' },
  500: { error: 'unknown', error_description: 'Failed to acquire token.' },
  503: { error: 'service_unavailable', error_description: 'The service is temporarily unavailable.' },
};

export class FaultQueue {
  #queue: PendingFault[] = [];

  add(fault: ImdsFault): void {
    const count = fault.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || this.#queue.length + count > MAX_QUEUED_FAULTS) {
      throw new RangeError(`count must be a positive integer; at most ${MAX_QUEUED_FAULTS} faults can be queued`);
    }
    let pending: PendingFault;
    if ('timeoutMs' in fault) {
      if (!Number.isInteger(fault.timeoutMs) || fault.timeoutMs < 0 || fault.timeoutMs > MAX_HOLD_MS) {
        throw new RangeError(`timeoutMs must be an integer between 0 and ${MAX_HOLD_MS}`);
      }
      pending = { kind: 'timeout', holdMs: fault.timeoutMs };
    } else {
      if (!(fault.status in FAULT_BODIES)) throw new RangeError(`unsupported IMDS fault status ${String(fault.status)}`);
      if (fault.retryAfterSeconds !== undefined && (!Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0)) {
        throw new RangeError('retryAfterSeconds must be a non-negative integer');
      }
      pending = { kind: 'status', status: fault.status, ...(fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {}) };
    }
    for (let index = 0; index < count; index++) this.#queue.push(pending);
  }

  take(): PendingFault | undefined {
    return this.#queue.shift();
  }

  get size(): number {
    return this.#queue.length;
  }

  clear(): void {
    this.#queue = [];
  }
}
