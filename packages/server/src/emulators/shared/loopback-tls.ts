import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { createSelfSignedCertificate } from './x509.ts';

/** PEM material for `https.createServer`; `cert` doubles as the CA file clients must trust. */
export interface TlsMaterial {
  key: string;
  cert: string;
}

const generateRsaKeyPair = promisify(generateKeyPair);
const ONE_HOUR_MS = 3_600_000;

/**
 * A fresh self-signed certificate for 127.0.0.1, ::1 and localhost. It is its own CA, so a
 * client trusts it by adding `cert` to its CA list (or to `NODE_EXTRA_CA_CERTS`).
 */
export async function createLoopbackTls(options: { now?: Date; validityDays?: number } = {}): Promise<TlsMaterial> {
  const now = options.now ?? new Date();
  const validityDays = options.validityDays ?? 30;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 825) {
    throw new RangeError('validityDays must be an integer between 1 and 825');
  }
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  const certificate = createSelfSignedCertificate({
    commonName: 'OpenWIF loopback emulator',
    privateKey,
    notBefore: new Date(now.getTime() - ONE_HOUR_MS),
    notAfter: new Date(now.getTime() + validityDays * 24 * ONE_HOUR_MS),
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    isCertificateAuthority: true,
  });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: certificate.pem };
}
