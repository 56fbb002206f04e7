import type { Kysely } from 'kysely';
import type { AccessTokenGrant } from '../../domain/types.ts';
import type { ReplayStore, TokenStore } from '../ports.ts';
import { isUniqueViolation } from './cursor.ts';
import type { Database } from './schema.ts';

export class SqlTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(tokenHash: string, grant: AccessTokenGrant): Promise<void> {
    await this.db
      .insertInto('access_tokens')
      .values({ token_hash: tokenHash, ...grant, scopes: grant.scopes.join(' ') })
      .execute();
  }

  async find(tokenHash: string): Promise<AccessTokenGrant | null> {
    const row = await this.db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (!row) return null;
    const { token_hash: _hash, scopes, ...rest } = row;
    return { ...rest, scopes: scopes.split(' ') };
  }

  async deleteExpired(now: string): Promise<number> {
    const res = await this.db.deleteFrom('access_tokens').where('expires_at', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

/** JTI single use by primary key: the database's uniqueness is the atomic check. */
export class SqlReplayStore implements ReplayStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(issuerId: string, jti: string, expiresAt: string): Promise<boolean> {
    try {
      await this.db.insertInto('jti_claims').values({ issuer_id: issuerId, jti, expires_at: expiresAt }).execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    // An expired record that the sweeper has not removed yet does not block a new claim.
    const res = await this.db
      .updateTable('jti_claims')
      .set({ expires_at: expiresAt })
      .where('issuer_id', '=', issuerId)
      .where('jti', '=', jti)
      .where('expires_at', '<', new Date().toISOString())
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async deleteExpired(now: string): Promise<number> {
    const res = await this.db.deleteFrom('jti_claims').where('expires_at', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
