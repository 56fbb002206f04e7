import { azureImds, entraFederated, gcpMetadata, githubActions, kubernetesTokenFile, DEFAULT_AUDIENCE, type IdentityTokenSource } from '@openwif/client';
import { UsageError } from '../errors.ts';

/** Platform identity-token sources `openwif token fetch --from` knows, backed by @openwif/client. */
export const FETCH_SOURCES = ['imds', 'aks', 'k8s', 'github', 'gcp'] as const;
export type FetchSource = (typeof FETCH_SOURCES)[number];

export interface FetchFlags {
  from: string;
  audience?: string;
  resource?: string;
  clientId?: string;
  tokenFile?: string;
}

export function identityTokenSource(flags: FetchFlags, env: Record<string, string | undefined>): IdentityTokenSource {
  const audience = flags.audience ?? DEFAULT_AUDIENCE;
  const needResource = (source: string) => {
    if (flags.resource === undefined) throw new UsageError(`--from ${source} needs --resource (the Entra resource, e.g. api://<APP_ID>)`);
    return flags.resource;
  };
  switch (flags.from as FetchSource) {
    case 'imds':
      return azureImds({ resource: needResource('imds'), ...(flags.clientId ? { clientId: flags.clientId } : {}), env });
    case 'aks':
      return entraFederated({ scope: `${needResource('aks').replace(/\/+$/, '')}/.default`, ...(flags.clientId ? { clientId: flags.clientId } : {}), env });
    case 'k8s':
      return kubernetesTokenFile(flags.tokenFile);
    case 'github':
      return githubActions({ audience, env });
    case 'gcp':
      return gcpMetadata({ audience, env });
    default:
      throw new UsageError(`--from: expected one of ${FETCH_SOURCES.join(', ')}`);
  }
}
