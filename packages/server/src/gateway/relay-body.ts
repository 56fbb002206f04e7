import { PassThrough, type Readable } from 'node:stream';
import type { ErrorType } from '../http/errors.ts';
import type { UpstreamTimeouts } from './options.ts';
import { UpstreamTimeoutError } from './upstream.ts';

export interface RelayOptions {
  /** A server-sent-event stream: a failure mid-way ends it with an `error` event instead of a cut. */
  sse: boolean;
  timeouts: Pick<UpstreamTimeouts, 'idleMs' | 'totalMs'>;
  requestId: string;
  /** Called once, when the relay is over for any reason. */
  onDone: (outcome: 'complete' | 'failed' | 'client_gone') => void;
}

/**
 * Copies the upstream body to the client chunk by chunk (never buffering a whole response),
 * with backpressure, an idle and a total timer. If the client leaves, the upstream body is
 * destroyed, which closes the upstream connection and stops the generation it was paying for.
 *
 * Only an event stream gets a stream of its own, to end with an `error` event after a failure;
 * any other body is handed to the client as it is (and cut on failure), which saves a stream
 * hop and a write per call.
 */
export function relayBody(source: Readable, options: RelayOptions): Readable {
  const out = options.sse ? new PassThrough() : null;
  let done = false;
  let endsWithBlankLine = true;

  const finish = (outcome: 'complete' | 'failed' | 'client_gone') => {
    if (done) return false;
    done = true;
    clearTimeout(idle);
    clearTimeout(total);
    options.onDone(outcome);
    return true;
  };
  const failWith = (err: Error) => {
    if (!finish('failed')) return;
    if (out === null) {
      source.destroy(err);
      return;
    }
    source.destroy();
    const [type, message] =
      err instanceof UpstreamTimeoutError
        ? (['timeout_error', 'The upstream API stopped responding.'] as const)
        : (['api_error', 'The upstream API closed the stream early.'] as const);
    out.end(`${endsWithBlankLine ? '' : '\n\n'}${sseError(type, message, options.requestId)}`);
  };
  const idle = setTimeout(() => failWith(new UpstreamTimeoutError('idle')), options.timeouts.idleMs);
  const total = setTimeout(() => failWith(new UpstreamTimeoutError('total')), options.timeouts.totalMs);

  // Handed over as it is, the body flows when the client's pipe starts it, not when this listener is added.
  if (out === null) source.pause();
  source.on('data', (data: Buffer | string) => {
    if (done) return;
    idle.refresh();
    if (out === null) return;
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    endsWithBlankLine = chunk.length >= 2 ? chunk.subarray(-2).toString('latin1') === '\n\n' : false;
    if (!out.write(chunk)) source.pause();
  });
  source.once('end', () => {
    if (finish('complete')) out?.end();
  });
  source.once('error', failWith);
  if (out === null) {
    // Closed before its end without an error: the reply destroyed it as the client left (an upstream failure arrives as an error).
    source.once('close', () => finish('client_gone'));
    return source;
  }
  out.on('drain', () => source.resume());
  source.once('close', () => {
    if (!done) failWith(new Error('upstream body closed before its end'));
  });
  out.once('close', () => {
    if (finish('client_gone')) source.destroy();
  });
  return out;
}

function sseError(type: ErrorType, message: string, requestId: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId })}\n\n`;
}
