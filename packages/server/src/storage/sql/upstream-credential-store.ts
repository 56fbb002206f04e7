import type { Kysely } from 'kysely';
import type { UpstreamCredential, UpstreamCredentialStore } from '../ports.ts';
import type { Database } from './schema.ts';

export class SqlUpstreamCredentialStore implements UpstreamCredentialStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(organizationId: string, workspaceId: string): Promise<UpstreamCredential | null> {
    const row = await this.db
      .selectFrom('upstream_credentials')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return row ?? null;
  }

  async put(c: UpstreamCredential): Promise<void> {
    await this.db
      .insertInto('upstream_credentials')
      .values(c)
      .onConflict((oc) =>
        oc.columns(['organization_id', 'workspace_id']).doUpdateSet({ sealed: c.sealed, updated_at: c.updated_at, updated_by_actor_id: c.updated_by_actor_id }),
      )
      .execute();
  }

  async delete(organizationId: string, workspaceId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('upstream_credentials')
      .where('organization_id', '=', organizationId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async listWorkspaceIds(organizationId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('upstream_credentials').select('workspace_id').where('organization_id', '=', organizationId).execute();
    return rows.map((r) => r.workspace_id);
  }
}
