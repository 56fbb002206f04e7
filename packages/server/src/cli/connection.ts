import Anthropic from '@anthropic-ai/sdk';
import type { Command } from 'commander';
import { UsageError } from './errors.ts';
import type { CliIo } from './output.ts';

/**
 * The CLI reaches the Admin API through the official SDK, so it works against any WIF-compatible
 * endpoint. It reads the SDK's own variables rather than OPENWIF_*: the server refuses unknown
 * OPENWIF_* variables at start-up, and these must be settable in the same shell as `openwif serve`.
 */
export const BASE_URL_ENV = 'ANTHROPIC_BASE_URL';
export const AUTH_TOKEN_ENV = 'ANTHROPIC_AUTH_TOKEN';

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_RETRIES = 2;

export interface ConnectionFlags {
  baseUrl?: string;
  authToken?: string;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--base-url <url>', `server base URL (default: $${BASE_URL_ENV})`)
    .option('--auth-token <token>', `org:admin bearer token (default: $${AUTH_TOKEN_ENV}; prefer the variable, flags show up in "ps")`);
}

export function resolveBaseUrl(flags: ConnectionFlags, env: CliIo['env']): string {
  const raw = flags.baseUrl ?? env[BASE_URL_ENV];
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError(`no server URL: pass --base-url or set ${BASE_URL_ENV} (e.g. http://127.0.0.1:8080)`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`--base-url / ${BASE_URL_ENV} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--base-url / ${BASE_URL_ENV} must be http(s)`);
  if (url.search !== '' || url.hash !== '') throw new UsageError(`--base-url / ${BASE_URL_ENV} must not have a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

export function openAdminClient(flags: ConnectionFlags, io: CliIo): Anthropic {
  const baseURL = resolveBaseUrl(flags, io.env);
  const authToken = flags.authToken ?? io.env[AUTH_TOKEN_ENV];
  if (authToken === undefined || authToken.trim() === '') {
    throw new UsageError(`no admin token: set ${AUTH_TOKEN_ENV} (or pass --auth-token)`);
  }
  // apiKey: null keeps a stray ANTHROPIC_API_KEY in the shell from being sent instead.
  return new Anthropic({ baseURL, authToken: authToken.trim(), apiKey: null, timeout: REQUEST_TIMEOUT_MS, maxRetries: MAX_RETRIES });
}
