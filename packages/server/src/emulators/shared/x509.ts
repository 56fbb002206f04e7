/**
 * Self-signed X.509 v3 certificates built in process (RSA + SHA-256 only). Used for the
 * emulators' loopback TLS and for the `x5c`/`x5t` members Entra and GitHub publish in their JWKS.
 */
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  unsignedInteger,
  utf8String,
  x509Time,
} from './der.ts';

export interface SelfSignedCertificateOptions {
  commonName: string;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Mark as a CA so the certificate can serve as its own trust anchor (`NODE_EXTRA_CA_CERTS`). */
  isCertificateAuthority?: boolean;
}

export interface Certificate {
  der: Buffer;
  pem: string;
  /** base64url SHA-1 of the DER: the JOSE `x5t` member. */
  sha1Thumbprint: string;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
const SUBJECT_ALT_NAME = '2.5.29.17';
const BASIC_CONSTRAINTS = '2.5.29.19';

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return bytes;
}

function ipAddressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map((part) => Number(part)));
  if (isIPv6(address) && !address.includes('.')) return ipv6Bytes(address);
  throw new TypeError(`unsupported IP address for a certificate: ${address}`);
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), boolean(true), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

function distinguishedName(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier(COMMON_NAME), utf8String(commonName))));
}

export function createSelfSignedCertificate(options: SelfSignedCertificateOptions): Certificate {
  if (options.privateKey.asymmetricKeyType !== 'rsa') throw new TypeError('only RSA keys are supported');
  if (options.notAfter.getTime() <= options.notBefore.getTime()) throw new RangeError('notAfter must be after notBefore');
  const spki = createPublicKey(options.privateKey).export({ type: 'spki', format: 'der' });
  const algorithm = sequence(objectIdentifier(SHA256_WITH_RSA), nullValue());
  const name = distinguishedName(options.commonName);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;

  const altNames = [
    ...(options.dnsNames ?? []).map((dns) => implicitPrimitive(2, Buffer.from(dns, 'ascii'))),
    ...(options.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipAddressBytes(ip))),
  ];
  const extensions = [
    extension(BASIC_CONSTRAINTS, true, sequence(...(options.isCertificateAuthority ? [boolean(true)] : []))),
    extension(SUBJECT_KEY_IDENTIFIER, false, octetString(createHash('sha1').update(spki).digest())),
    ...(altNames.length > 0 ? [extension(SUBJECT_ALT_NAME, false, sequence(...altNames))] : []),
  ];

  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(x509Time(options.notBefore), x509Time(options.notAfter)),
    name,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, options.privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const base64 = der.toString('base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  return { der, pem, sha1Thumbprint: createHash('sha1').update(der).digest('base64url') };
}
