import type { Kysely } from 'kysely';
import type { AccessTokenGrant } from '../../domain/types.ts';
import type { TokenStore } from '../ports.ts';
import type { Database } from './schema.ts';

export class SqlTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tokenHash: string): Promise<AccessTokenGrant | null> {
    const row = await this.db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (!row) return null;
    const { token_hash: _hash, scopes, ...rest } = row;
    return { ...rest, scopes: scopes.split(' ') };
  }
}
