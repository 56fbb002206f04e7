/**
 * A set of RS256 signing keys for one emulated issuer: one active signer, keys published
 * ahead of use, and retired keys kept in the JWKS for a grace period (so tokens they signed
 * still verify), which is how Entra, Kubernetes and GitHub roll their keys.
 */
import { createHash, KeyObject, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createSelfSignedCertificate } from './x509.ts';

/**
 * How a key's `kid` is derived: `x5t` = SHA-1 thumbprint of its certificate (Entra, GitHub);
 * `spki-sha256` = base64url SHA-256 of the DER public key (Kubernetes); `uuid` = random.
 */
export type KidStrategy = 'x5t' | 'spki-sha256' | 'uuid';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly privateKey: CryptoKey;
  /** Public members only: `kty`, `n`, `e`. Each emulator adds the members its platform publishes. */
  readonly publicJwk: JWK;
  /** Present when the ring was created with a certificate common name. */
  readonly x5t?: string;
  readonly x5c?: readonly string[];
  readonly createdAt: Date;
}

export interface SigningKeyRingOptions {
  kidStrategy: KidStrategy;
  /** When set, every key gets a self-signed certificate with this CN (for `x5c`/`x5t`). */
  certificateCommonName?: string;
  /** How long a retired key stays published. */
  graceSeconds: number;
  now?: () => Date;
}

const MAX_KEYS = 20;
const CERTIFICATE_VALIDITY_MS = 5 * 365 * 24 * 3_600_000;

interface KeyState {
  key: SigningKey;
  status: 'pending' | 'active' | 'retired';
  retiredAt?: Date;
}

export class SigningKeyRing {
  readonly #options: SigningKeyRingOptions;
  readonly #now: () => Date;
  #states: KeyState[] = [];

  private constructor(options: SigningKeyRingOptions) {
    if (!Number.isInteger(options.graceSeconds) || options.graceSeconds < 0) {
      throw new RangeError('graceSeconds must be a non-negative integer');
    }
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  static async create(options: SigningKeyRingOptions): Promise<SigningKeyRing> {
    const ring = new SigningKeyRing(options);
    ring.#states.push({ key: await ring.#generate(), status: 'active' });
    return ring;
  }

  /** The key new tokens are signed with. */
  get activeKey(): SigningKey {
    const active = this.#states.find((state) => state.status === 'active');
    if (!active) throw new Error('signing key ring has no active key');
    return active.key;
  }

  /**
   * With `publishOnly`, adds a key to the JWKS without signing with it yet. Otherwise the
   * oldest pending key (or a new one) becomes the signer and the current signer retires.
   */
  async rotate(options: { publishOnly?: boolean } = {}): Promise<SigningKey> {
    this.#dropExpired();
    if (this.#states.length >= MAX_KEYS) throw new Error(`an issuer publishes at most ${MAX_KEYS} keys`);
    if (options.publishOnly) {
      const key = await this.#generate();
      this.#states.push({ key, status: 'pending' });
      return key;
    }
    const pending = this.#states.find((state) => state.status === 'pending');
    const next = pending ?? { key: await this.#generate(), status: 'pending' as const };
    for (const state of this.#states) {
      if (state.status === 'active') {
        state.status = 'retired';
        state.retiredAt = this.#now();
      }
    }
    next.status = 'active';
    if (!pending) this.#states.push(next);
    return next.key;
  }

  /** Keys a verifier must see: pending, active, and retired ones still inside the grace period. */
  publishedKeys(): SigningKey[] {
    this.#dropExpired();
    return this.#states.map((state) => state.key);
  }

  /** Private JWKs of all published keys, for persisting or inspecting an emulator's keys. */
  async exportPrivateJwks(): Promise<JWK[]> {
    return Promise.all(this.publishedKeys().map(async (key) => ({ ...(await exportJWK(key.privateKey)), kid: key.kid, alg: key.alg })));
  }

  #dropExpired(): void {
    const cutoff = this.#now().getTime() - this.#options.graceSeconds * 1000;
    this.#states = this.#states.filter((state) => state.status !== 'retired' || (state.retiredAt?.getTime() ?? 0) > cutoff);
  }

  async #generate(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const publicJwk = await exportJWK(publicKey);
    const createdAt = this.#now();
    const certificate = this.#options.certificateCommonName
      ? createSelfSignedCertificate({
          commonName: this.#options.certificateCommonName,
          privateKey: KeyObject.from(privateKey),
          notBefore: new Date(createdAt.getTime() - 24 * 3_600_000),
          notAfter: new Date(createdAt.getTime() + CERTIFICATE_VALIDITY_MS),
        })
      : undefined;
    const kid = this.#deriveKid(KeyObject.from(publicKey), certificate?.sha1Thumbprint);
    return {
      kid,
      alg: 'RS256',
      privateKey,
      publicJwk: { kty: publicJwk.kty, n: publicJwk.n, e: publicJwk.e },
      ...(certificate ? { x5t: certificate.sha1Thumbprint, x5c: [certificate.der.toString('base64')] } : {}),
      createdAt,
    };
  }

  #deriveKid(publicKey: KeyObject, thumbprint: string | undefined): string {
    switch (this.#options.kidStrategy) {
      case 'x5t':
        if (!thumbprint) throw new TypeError('kidStrategy "x5t" needs certificateCommonName');
        return thumbprint;
      case 'spki-sha256':
        return createHash('sha256')
          .update(publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64url');
      case 'uuid':
        return randomUUID();
    }
  }
}
