import { SignJWT } from 'jose';

/**
 * Pre-signs `count` assertions with unique `jti`s, so signing cost stays out of the measured
 * window. Signs in parallel batches (WebCrypto runs on the libuv pool).
 */
export async function presign(count: number, sign: (i: number) => Promise<string>): Promise<string[]> {
  const out: string[] = new Array(count);
  const batch = 64;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, k) => {
        out[start + k] = await sign(start + k);
      }),
    );
  }
  return out;
}

export function jwt(claims: Record<string, unknown>, key: CryptoKey, header: { alg: string; kid: string }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
}
