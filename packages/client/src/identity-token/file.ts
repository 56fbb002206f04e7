import { open } from 'node:fs/promises';
import { IdentityTokenError } from '../errors.ts';

export type IdentityTokenSource = () => Promise<string>;

/** Token files larger than this are refused; real JWTs are a few KiB. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Where the Anthropic docs mount a projected service-account token with the Anthropic audience. */
export const DEFAULT_KUBERNETES_TOKEN_PATH = '/var/run/secrets/anthropic.com/token';

/**
 * Reads the token from `path` on every call (rotating projected tokens are
 * picked up), trimmed; a missing, empty or oversized file is an error.
 */
export function fileToken(path: string, options: { platform?: string } = {}): IdentityTokenSource {
  const platform = options.platform ?? 'file';
  if (typeof path !== 'string' || path.trim() === '') throw new TypeError(`${platform}: token file path must be a non-empty string`);
  return () => readTokenFile(path, platform);
}

/** A Kubernetes projected service-account token file (default {@link DEFAULT_KUBERNETES_TOKEN_PATH}). */
export function kubernetesTokenFile(path: string = DEFAULT_KUBERNETES_TOKEN_PATH): IdentityTokenSource {
  return fileToken(path, { platform: 'kubernetes' });
}

/** A fixed token, for tests and short-lived jobs. Empty → `TypeError`. */
export function staticToken(value: string): IdentityTokenSource {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError('static identity token must be a non-empty string');
  const token = value.trim();
  return () => Promise.resolve(token);
}

async function readTokenFile(path: string, platform: string): Promise<string> {
  let text: string;
  try {
    text = await readCapped(path, MAX_TOKEN_FILE_BYTES);
  } catch (err) {
    if (err instanceof IdentityTokenError) throw err;
    const code = (err as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : 'read failed';
    throw new IdentityTokenError(`cannot read token file ${path} (${reason})`, { platform, errorCode: reason, cause: err });
  }
  const token = text.trim();
  if (token === '') throw new IdentityTokenError(`token file ${path} is empty`, { platform });
  return token;

  async function readCapped(filePath: string, maxBytes: number): Promise<string> {
    const handle = await open(filePath, 'r');
    try {
      const buffer = Buffer.alloc(maxBytes + 1);
      let total = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) {
          throw new IdentityTokenError(`token file ${filePath} is larger than ${maxBytes} bytes`, { platform });
        }
      }
      return buffer.subarray(0, total).toString('utf8');
    } finally {
      await handle.close();
    }
  }
}
