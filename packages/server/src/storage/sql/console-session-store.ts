import type { Kysely } from 'kysely';
import type { ConsoleSession, ConsoleSessionStore } from '../ports.ts';
import type { Database } from './schema.ts';

export class SqlConsoleSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(idHash: string, session: ConsoleSession): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({ id_hash: idHash, ...session })
      .execute();
  }

  async find(idHash: string): Promise<ConsoleSession | null> {
    const row = await this.db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return null;
    const { id_hash: _id, kind, ...rest } = row;
    return { ...rest, kind: kind as ConsoleSession['kind'] };
  }

  async take(idHash: string): Promise<ConsoleSession | null> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      if (!row) return null;
      const res = await tx.deleteFrom('console_sessions').where('id_hash', '=', idHash).executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) return null;
      const { id_hash: _id, kind, ...rest } = row;
      return { ...rest, kind: kind as ConsoleSession['kind'] };
    });
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
  }
}
