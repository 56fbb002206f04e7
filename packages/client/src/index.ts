export { WorkloadIdentityCredentials, DEFAULT_BASE_URL, type WorkloadIdentityCredentialsOptions } from './credentials.ts';
export type { AccessToken, IdentityTokenProvider } from './exchange.ts';
export { WorkloadCredentialsError, IdentityTokenError, WorkloadIdentityError, type IdentityTokenErrorDetails } from './errors.ts';
export type { Sleep } from './lib/retry.ts';
export type { Env } from './lib/env.ts';
export type { HttpProviderOptions } from './lib/platform-http.ts';
export { fileToken, kubernetesTokenFile, staticToken, DEFAULT_KUBERNETES_TOKEN_PATH, type IdentityTokenSource } from './identity-token/file.ts';
export { azureImds, AZURE_IMDS_TOKEN_URL, type AzureImdsOptions } from './identity-token/azure-imds.ts';
export { azureAppService, type AzureAppServiceOptions } from './identity-token/azure-app-service.ts';
export { entraFederated, type EntraFederatedOptions } from './identity-token/entra-federated.ts';
export { githubActions, type GithubActionsOptions } from './identity-token/github-actions.ts';
export { gcpMetadata, type GcpMetadataOptions } from './identity-token/gcp-metadata.ts';
export { awsWebIdentity } from './identity-token/aws-web-identity.ts';
export {
  resolveIdentityTokenProvider,
  DEFAULT_AUDIENCE,
  type IdentityTokenSourceName,
  type ResolvedIdentityTokenSource,
  type ResolveIdentityTokenOptions,
} from './identity-token/resolve.ts';
