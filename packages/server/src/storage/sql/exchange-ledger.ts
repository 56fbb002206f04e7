import type { ExchangeLedger, MintRecord, ReplayStore } from '../ports.ts';
import type { GroupCommitter } from './group-commit.ts';
import { eventToRow } from './auth-event-store.ts';

/**
 * The exchange's one durable write: claim the jti, store the token hash, record the success
 * event — all or nothing, in a group-committed transaction. With an external replay store
 * (Redis) the jti is claimed there first; a database failure after that burns the jti without
 * minting, which fails closed.
 */
export class SqlExchangeLedger implements ExchangeLedger {
  constructor(
    private readonly committer: GroupCommitter,
    private readonly externalReplay: ReplayStore | null,
  ) {}

  async recordMint(mint: MintRecord): Promise<boolean> {
    if (mint.replay && this.externalReplay && !(await this.externalReplay.claim(mint.replay.issuerId, mint.replay.jti, mint.replay.expiresAt))) {
      return false;
    }
    const claimHere = this.externalReplay ? null : mint.replay;
    return this.committer.run(async (tx) => {
      if (claimHere) {
        // A record whose assertion has expired no longer blocks the jti (the sweeper may not have run yet).
        const res = await tx
          .insertInto('jti_claims')
          .values({ issuer_id: claimHere.issuerId, jti: claimHere.jti, expires_at: claimHere.expiresAt })
          .onConflict((oc) =>
            oc.columns(['issuer_id', 'jti']).doUpdateSet({ expires_at: claimHere.expiresAt }).where('jti_claims.expires_at', '<', mint.grant.created_at),
          )
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      }
      await tx
        .insertInto('access_tokens')
        .values({ token_hash: mint.tokenHash, ...mint.grant, scopes: mint.grant.scopes.join(' ') })
        .execute();
      await tx.insertInto('auth_events').values(eventToRow(mint.event)).execute();
      return true;
    });
  }
}
