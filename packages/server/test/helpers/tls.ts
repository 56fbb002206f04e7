/** TLS helpers for tests that talk to loopback HTTPS servers with self-signed certificates. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { createLoopbackTls, type TlsMaterial } from '../../src/emulators/shared/loopback-tls.ts';

export { createLoopbackTls, type TlsMaterial };

export type TrustingFetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & { close(): Promise<void> };

/** A fetch that trusts exactly `caPem` (plus nothing else), for HTTPS emulators. */
export function fetchTrusting(caPem: string): TrustingFetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  const trusting = (input: string | URL, init?: RequestInit): Promise<Response> =>
    undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
  return Object.assign(trusting, { close: () => dispatcher.close() });
}

/** Writes the CA to a temp file (for `NODE_EXTRA_CA_CERTS`); `cleanup` removes it. */
export async function writeCaFile(caPem: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'openwif-ca-'));
  const path = join(directory, 'ca.pem');
  await writeFile(path, caPem);
  return { path, cleanup: () => rm(directory, { recursive: true, force: true }) };
}
