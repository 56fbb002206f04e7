import type { Kysely } from 'kysely';
import type { Organization, Workspace } from '../../domain/types.ts';
import type { AdminCredential, AdminCredentialStore, OrganizationStore } from '../ports.ts';
import type { Database } from './schema.ts';
import { workspaceToRow } from './workspace-store.ts';

export class SqlOrganizationStore implements OrganizationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: string): Promise<Organization | null> {
    return (await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async first(): Promise<Organization | null> {
    return (
      (await this.db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').limit(1).executeTakeFirst()) ??
      null
    );
  }

  async create(org: Organization, defaultWorkspace: Workspace): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('organizations').values(org).execute();
      await tx.insertInto('workspaces').values(workspaceToRow(defaultWorkspace)).execute();
    });
  }
}

export class SqlAdminCredentialStore implements AdminCredentialStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findByHash(tokenHash: string): Promise<AdminCredential | null> {
    const row = await this.db
      .selectFrom('admin_credentials')
      .select(['organization_id', 'actor_id', 'label'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ?? null;
  }

  async insert(tokenHash: string, credential: AdminCredential, createdAt: string): Promise<void> {
    await this.db.insertInto('admin_credentials').values({ token_hash: tokenHash, ...credential, created_at: createdAt }).execute();
  }

  async count(organizationId: string): Promise<number> {
    const row = await this.db
      .selectFrom('admin_credentials')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
