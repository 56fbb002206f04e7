import { Transform, type TransformCallback } from 'node:stream';

/** The request body passed the gateway's cap. Becomes 413 `request_too_large`. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * Passes bytes through until `limit`, then fails: the cap holds for chunked bodies too, whose
 * size is only known once they have been read.
 */
export class BodyLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(new BodyTooLargeError(this.limit));
    else callback(null, chunk);
  }
}

/** The declared Content-Length, or null when the body is chunked or absent. */
export function declaredLength(header: string | undefined): number | null {
  if (header === undefined || !/^\d{1,16}$/.test(header)) return null;
  return Number(header);
}
