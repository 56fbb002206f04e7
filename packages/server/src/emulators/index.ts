/**
 * Local emulators of workload platforms' identity-token sources, for tests and for
 * `openwif emulate <kind>`. Each one is a real loopback HTTP(S) server with `baseUrl` + `close()`.
 */
import { EntraEmulator, type EntraEmulatorOptions } from './entra/entra-emulator.ts';
import { GcpMetadataEmulator, type GcpMetadataEmulatorOptions } from './gcp/gcp-metadata-emulator.ts';
import { GitHubOidcEmulator, type GitHubOidcEmulatorOptions } from './github/github-oidc-emulator.ts';
import { ImdsEmulator, type ImdsEmulatorOptions } from './imds/imds-emulator.ts';
import { KubernetesIssuer, type KubernetesIssuerOptions } from './kubernetes/kubernetes-issuer.ts';

export { EntraEmulator, type EntraEmulatorOptions, type ManagedIdentityTokenRequest } from './entra/entra-emulator.ts';
export { AadstsError, type AadstsCode, type AadstsErrorBody } from './entra/aadsts-error.ts';
export type { AccessTokenVersion, IssuedAccessToken } from './entra/access-token.ts';
export { TOKEN_EXCHANGE_AUDIENCE, type EntraApplication, type EntraResource, type FederatedCredential } from './entra/directory.ts';
export { ImdsEmulator, IMDS_TOKEN_PATH, type ImdsEmulatorOptions, type ImdsRequestRecord, type ManagedIdentityTokenSource } from './imds/imds-emulator.ts';
export type { ImdsFault, ImdsFaultStatus } from './imds/faults.ts';
export { KubernetesIssuer, type KubernetesIssuerOptions, type WrittenToken } from './kubernetes/kubernetes-issuer.ts';
export { InvalidTokenRequestError, type ProjectedTokenOptions } from './kubernetes/service-account-token.ts';
export type { TokenRotation } from './kubernetes/token-file.ts';
export { GitHubOidcEmulator, type GitHubJob, type GitHubOidcEmulatorOptions } from './github/github-oidc-emulator.ts';
export type { GitHubJobOptions } from './github/job-claims.ts';
export { GcpMetadataEmulator, type GceInstance, type GcpFaultStatus, type GcpMetadataEmulatorOptions } from './gcp/gcp-metadata-emulator.ts';
export { createLoopbackTls, type TlsMaterial } from './shared/loopback-tls.ts';

export interface EmulatorOptionsByKind {
  entra: EntraEmulatorOptions;
  imds: ImdsEmulatorOptions;
  k8s: KubernetesIssuerOptions;
  github: GitHubOidcEmulatorOptions;
  gcp: GcpMetadataEmulatorOptions;
}

export interface EmulatorByKind {
  entra: EntraEmulator;
  imds: ImdsEmulator;
  k8s: KubernetesIssuer;
  github: GitHubOidcEmulator;
  gcp: GcpMetadataEmulator;
}

export type EmulatorKind = keyof EmulatorByKind;

export const EMULATOR_KINDS: readonly EmulatorKind[] = ['entra', 'imds', 'k8s', 'github', 'gcp'];

const starters: { [K in EmulatorKind]: (options: EmulatorOptionsByKind[K]) => Promise<EmulatorByKind[K]> } = {
  entra: (options) => EntraEmulator.start(options),
  imds: (options) => ImdsEmulator.start(options),
  k8s: (options) => KubernetesIssuer.start(options),
  github: (options) => GitHubOidcEmulator.start(options),
  gcp: (options) => GcpMetadataEmulator.start(options),
};

export function isEmulatorKind(value: string): value is EmulatorKind {
  return (EMULATOR_KINDS as readonly string[]).includes(value);
}

/** Starts one emulator; IMDS needs a `tokenSource` (typically a started Entra emulator). */
export function startEmulator<K extends EmulatorKind>(kind: K, options: EmulatorOptionsByKind[K]): Promise<EmulatorByKind[K]> {
  const start = starters[kind] as (options: EmulatorOptionsByKind[K]) => Promise<EmulatorByKind[K]>;
  return start(options);
}
