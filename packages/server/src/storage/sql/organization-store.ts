import type { Kysely } from 'kysely';
import type { Organization, Workspace } from '../../domain/types.ts';
import type { AdminCredential, AdminCredentialStore, OrganizationStore } from '../ports.ts';
import { isUniqueViolation } from './row-conventions.ts';
import type { Database } from './schema.ts';
import { workspaceToRow } from './workspace-store.ts';

export class SqlOrganizationStore implements OrganizationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: string): Promise<Organization | null> {
    return (await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async installed(): Promise<Organization | null> {
    const row = await this.db
      .selectFrom('installation')
      .innerJoin('organizations', 'organizations.id', 'installation.organization_id')
      .select(['organizations.id', 'organizations.name', 'organizations.created_at'])
      .where('installation.id', '=', 1)
      .executeTakeFirst();
    return row ?? null;
  }

  async install(org: Organization, defaultWorkspace: Workspace): Promise<Organization> {
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('organizations').values(org).execute();
        await tx.insertInto('workspaces').values(workspaceToRow(defaultWorkspace)).execute();
        await tx.insertInto('installation').values({ id: 1, organization_id: org.id }).execute();
      });
      return org;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const winner = await this.installed();
      if (!winner) throw err;
      return winner;
    }
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
    await this.db
      .insertInto('admin_credentials')
      .values({ token_hash: tokenHash, ...credential, created_at: createdAt })
      .onConflict((oc) => oc.column('token_hash').doNothing())
      .execute();
  }

  async replaceForActor(tokenHash: string, credential: AdminCredential, createdAt: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('admin_credentials')
        .where('organization_id', '=', credential.organization_id)
        .where('actor_id', '=', credential.actor_id)
        .where('token_hash', '!=', tokenHash)
        .execute();
      await tx
        .insertInto('admin_credentials')
        .values({ token_hash: tokenHash, ...credential, created_at: createdAt })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .execute();
    });
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
