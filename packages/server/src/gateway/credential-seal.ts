import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Upstream API keys at rest: AES-256-GCM under the server's secret key, a fresh random 96-bit
 * nonce per seal, stored as base64(version | nonce | ciphertext | tag). The additional data
 * binds a ciphertext to its organization and workspace, so a row copied to another workspace
 * fails to open instead of lending that workspace someone else's key.
 */

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Generous for any API key; the admin route refuses longer ones earlier. */
const MAX_SEALED_CHARS = 8192;

export interface CredentialOwner {
  organizationId: string;
  workspaceId: string;
}

/** The sealed value is malformed, from an unknown version, or fails authentication (wrong key or owner). */
export class CredentialSealError extends Error {
  override name = 'CredentialSealError';
}

export function sealCredential(secretKey: Buffer, owner: CredentialOwner, plaintext: string): string {
  assertKey(secretKey);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', secretKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(owner));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, ciphertext, cipher.getAuthTag()]).toString('base64');
}

export function openCredential(secretKey: Buffer, owner: CredentialOwner, sealed: string): string {
  assertKey(secretKey);
  if (sealed.length > MAX_SEALED_CHARS) throw new CredentialSealError('sealed credential is too long');
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < 1 + NONCE_BYTES + TAG_BYTES + 1) throw new CredentialSealError('sealed credential is truncated');
  if (raw[0] !== VERSION) throw new CredentialSealError(`sealed credential has unknown version ${raw[0]}`);
  const nonce = raw.subarray(1, 1 + NONCE_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const ciphertext = raw.subarray(1 + NONCE_BYTES, raw.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', secretKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(owner));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new CredentialSealError('sealed credential failed authentication (wrong secret key, or it belongs to another workspace)');
  }
}

function additionalData(owner: CredentialOwner): Buffer {
  return Buffer.from(`openwif:upstream-credential:v${VERSION}:${owner.organizationId}:${owner.workspaceId}`, 'utf8');
}

function assertKey(secretKey: Buffer): void {
  if (secretKey.length !== 32) throw new TypeError('the secret key must be 32 bytes');
}
