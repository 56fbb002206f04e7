import { randomUUID } from 'node:crypto';
import { newId } from './domain/ids.ts';
import type { Organization, Workspace } from './domain/types.ts';
import type { Stores } from './storage/ports.ts';
import { ADMIN_TOKEN_PREFIX, hashSecret, newSecret } from './tokens/token-hash.ts';

export const BOOTSTRAP_ACTOR_ID = 'user_01openwifbootstrapadmin';

export interface BootstrapResult {
  organization: Organization;
  /** Set only when this start generated the admin token: it is shown once and never stored. */
  generatedAdminToken: string | null;
}

/**
 * First start on an empty database: one organization with its default workspace, and a
 * bootstrap admin credential (from OPENWIF_ADMIN_TOKEN, or generated). On later starts a
 * configured OPENWIF_ADMIN_TOKEN becomes the only bootstrap credential, so changing it rotates it.
 */
export async function bootstrap(stores: Stores, adminToken: string | null, now: Date): Promise<BootstrapResult> {
  let organization = await stores.organizations.installed();
  if (!organization) {
    const candidate = { id: randomUUID(), name: 'OpenWIF', created_at: now.toISOString() };
    organization = await stores.organizations.install(candidate, defaultWorkspace(candidate.id, now));
  }
  if (adminToken !== null) {
    const hash = hashSecret(adminToken);
    // Whatever bootstrap credential existed before (a generated one, or an older OPENWIF_ADMIN_TOKEN) stops working.
    await stores.adminCredentials.replaceForActor(
      hash,
      { organization_id: organization.id, actor_id: BOOTSTRAP_ACTOR_ID, label: 'OPENWIF_ADMIN_TOKEN' },
      now.toISOString(),
    );
    return { organization, generatedAdminToken: null };
  }
  if ((await stores.adminCredentials.count(organization.id)) > 0) return { organization, generatedAdminToken: null };
  const generated = newSecret(ADMIN_TOKEN_PREFIX);
  await stores.adminCredentials.insert(
    hashSecret(generated),
    { organization_id: organization.id, actor_id: BOOTSTRAP_ACTOR_ID, label: 'generated at first start' },
    now.toISOString(),
  );
  return { organization, generatedAdminToken: generated };
}

function defaultWorkspace(organizationId: string, now: Date): Workspace {
  return {
    id: newId('workspace'),
    organization_id: organizationId,
    name: 'Default',
    is_default: true,
    display_color: '#6C5BB9',
    tags: {},
    data_residency: { allowed_inference_geos: 'unrestricted', default_inference_geo: 'global', workspace_geo: 'us' },
    created_at: now.toISOString(),
    archived_at: null,
  };
}
