/** GET a JSON document with a timeout, a size cap and no redirects (how Entra reads issuers). */

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface BoundedFetchOptions {
  fetch: FetchLike;
  timeoutMs?: number;
  maxBytes?: number;
}

export class BoundedFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BoundedFetchError';
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BoundedFetchError(`response exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function fetchJson(url: string, options: BoundedFetchOptions): Promise<unknown> {
  const maxBytes = options.maxBytes ?? 100 * 1024;
  let response: Response;
  try {
    response = await options.fetch(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    throw new BoundedFetchError(`GET ${url} failed`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new BoundedFetchError(`GET ${url} answered HTTP ${response.status}`);
  }
  const text = await readCapped(response, maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BoundedFetchError(`GET ${url} did not return JSON`, { cause: error });
  }
}
