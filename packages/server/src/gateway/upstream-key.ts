import type { Settings } from '../config/settings.ts';
import type { AccessTokenGrant } from '../domain/types.ts';
import type { UpstreamCredentialStore } from '../storage/ports.ts';
import { CredentialSealError, openCredential } from './credential-seal.ts';

export type UpstreamKeySource = 'workspace' | 'server_default';

/**
 * The key the gateway presents upstream for a call in this workspace: the workspace's own
 * sealed credential if it has one, else the server-wide default, else none (null).
 * A stored credential that cannot be opened is an error, never a silent fallback to the
 * default: that would bill another account without anyone noticing.
 */
export async function upstreamKeyFor(
  store: Pick<UpstreamCredentialStore, 'get'>,
  settings: Pick<Settings, 'secretKey' | 'upstreamApiKey'>,
  grant: Pick<AccessTokenGrant, 'organization_id' | 'workspace_id'>,
): Promise<{ key: string; source: UpstreamKeySource } | null> {
  const stored = await store.get(grant.organization_id, grant.workspace_id);
  if (stored) {
    if (settings.secretKey === null) throw new CredentialSealError('a sealed upstream credential exists but no secret key is configured');
    const owner = { organizationId: grant.organization_id, workspaceId: grant.workspace_id };
    return { key: openCredential(settings.secretKey, owner, stored.sealed), source: 'workspace' };
  }
  return settings.upstreamApiKey !== null ? { key: settings.upstreamApiKey, source: 'server_default' } : null;
}
