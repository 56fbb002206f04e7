import type { FastifyInstance } from 'fastify';

/**
 * The console's only way to touch data: the real Admin API, called in-process with the
 * session ID as bearer credential. Validation, permissions and error text are therefore
 * exactly what API and CLI users get.
 */

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; message: string; type: string };

/** The session ended between page load and this call: the page sends the user to sign in. */
export class SessionExpiredError extends Error {
  override name = 'SessionExpiredError';
}

/** The API answered 5xx, or with something that is not its JSON envelope. */
export class ApiUnavailableError extends Error {
  override name = 'ApiUnavailableError';
}

type Query = Record<string, string | number | boolean | null | undefined>;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export class AdminApi {
  constructor(
    private readonly app: FastifyInstance,
    private readonly sessionId: string,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<ApiResult<T>> {
    return this.call<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: unknown = {}): Promise<ApiResult<T>> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<ApiResult<T>> {
    return this.call<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<ApiResult<T>> {
    return this.call<T>('DELETE', path);
  }

  /** Like get(), for reads a page cannot do without: any failure becomes an error page. */
  async read<T>(path: string, query: Query = {}): Promise<T> {
    const result = await this.get<T>(path, query);
    if (!result.ok) throw new ApiReadError(result.status, result.message);
    return result.body;
  }

  private async call<T>(method: Method, url: string, body?: unknown): Promise<ApiResult<T>> {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${this.sessionId}`,
        'user-agent': 'openwif-console',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    if (response.statusCode === 401) throw new SessionExpiredError('the console session is no longer valid');
    let parsed: unknown;
    try {
      parsed = response.json();
    } catch {
      throw new ApiUnavailableError(`the Admin API answered ${response.statusCode} without JSON`);
    }
    if (response.statusCode >= 500) throw new ApiUnavailableError(errorMessage(parsed) ?? `the Admin API answered ${response.statusCode}`);
    if (response.statusCode >= 400) {
      const envelope = parsed as { error?: { type?: unknown } };
      return {
        ok: false,
        status: response.statusCode,
        message: errorMessage(parsed) ?? 'The request was refused.',
        type: String(envelope.error?.type ?? 'error'),
      };
    }
    return { ok: true, status: response.statusCode, body: parsed as T };
  }
}

/** A read the page depends on failed with a 4xx (usually 404: a stale link). */
export class ApiReadError extends Error {
  override name = 'ApiReadError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function errorMessage(body: unknown): string | null {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : null;
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Path segments from user input (IDs in URLs) are encoded, never spliced raw. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
