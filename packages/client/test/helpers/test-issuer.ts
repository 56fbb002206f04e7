import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export interface TestIssuer {
  issuer: string;
  /** Signs a fresh RS256 JWT (unique `jti`) with the issuer's key. */
  sign: (claims?: JWTPayload & { aud?: string | string[] }) => Promise<string>;
}

export async function createTestIssuer(issuer = 'https://issuer.test.example'): Promise<TestIssuer> {
  const { privateKey } = await generateKeyPair('RS256');
  return {
    issuer,
    sign: async (claims = {}) =>
      new SignJWT({ sub: 'system:serviceaccount:prod:worker', aud: 'https://api.anthropic.com', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('10m')
        .setJti(crypto.randomUUID())
        .sign(privateKey),
  };
}

export interface TempDir {
  path: string;
  write: (name: string, content: string) => Promise<string>;
  remove: () => Promise<void>;
}

export async function createTempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'openwif-client-'));
  return {
    path,
    write: async (name, content) => {
      const file = join(path, name);
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
