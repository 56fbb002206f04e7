import type { Kysely } from 'kysely';
import type { ConfigGenerationStore } from '../ports.ts';
import type { Database } from './schema.ts';

export class SqlConfigGenerationStore implements ConfigGenerationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async current(): Promise<number> {
    const row = await this.db.selectFrom('config_generation').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
    // PostgreSQL's bigint arrives as a string.
    return Number(row.value);
  }
}
