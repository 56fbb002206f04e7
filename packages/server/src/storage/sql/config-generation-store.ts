import type { CompiledQuery, Kysely } from 'kysely';
import type { ConfigGenerationStore } from '../ports.ts';
import type { Database } from './schema.ts';

export class SqlConfigGenerationStore implements ConfigGenerationStore {
  /** Read on every exchange and gateway call: built and compiled once, not per call. */
  private readonly query: CompiledQuery<{ value: Database['config_generation']['value'] }>;

  constructor(private readonly db: Kysely<Database>) {
    this.query = db.selectFrom('config_generation').select('value').where('id', '=', 1).compile();
  }

  async current(): Promise<number> {
    const { rows } = await this.db.executeQuery(this.query);
    if (rows.length !== 1) throw new Error('config_generation has no row: the database was not migrated by this version');
    // PostgreSQL's bigint arrives as a string.
    return Number(rows[0]!.value);
  }
}
