import type { Insertable, Kysely, Transaction } from 'kysely';
import type { MintRecord } from '../ports.ts';
import { eventToRow } from './auth-event-store.ts';
import type { Database } from './schema.ts';

/**
 * Writes a batch of mints in one transaction: three multi-row statements (jti claims, token
 * hashes, success events) and one durable commit, whatever the batch's size. Returns, per mint,
 * whether it was recorded (false: its jti was taken, nothing of it written).
 */
export function writeMintBatch(db: Kysely<Database>, mints: MintRecord[]): Promise<boolean[]> {
  return db.transaction().execute((tx) => writeMints(tx, mints));
}

/** The statements of `writeMintBatch`, inside a transaction the caller commits. */
export async function writeMints(tx: Transaction<Database>, mints: MintRecord[]): Promise<boolean[]> {
  // The exchange's clock, not the wall clock: the latest mint time in the batch.
  const now = mints.reduce((latest, m) => (m.grant.created_at > latest ? m.grant.created_at : latest), '');
  const key = (r: { issuerId: string; jti: string }) => `${r.issuerId}\u0000${r.jti}`;
  // The first mint of a jti within the batch competes for it; later copies have already lost.
  const claims = new Map<string, NonNullable<MintRecord['replay']>>();
  for (const m of mints) if (m.replay && !claims.has(key(m.replay))) claims.set(key(m.replay), m.replay);
  const won = new Set<string>();
  if (claims.size > 0) {
    const rows = await tx
      .insertInto('jti_claims')
      .values([...claims.values()].map((c) => ({ issuer_id: c.issuerId, jti: c.jti, expires_at: c.expiresAt })))
      // A record whose assertion has expired no longer blocks the jti (the sweeper may not have run yet).
      .onConflict((oc) =>
        oc
          .columns(['issuer_id', 'jti'])
          .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
          .where('jti_claims.expires_at', '<', now),
      )
      .returning(['issuer_id', 'jti'])
      .execute();
    for (const row of rows) won.add(key({ issuerId: row.issuer_id, jti: row.jti }));
  }
  const taken = new Set<string>();
  const recorded = mints.map((m) => {
    if (!m.replay) return true;
    const k = key(m.replay);
    if (!won.has(k) || taken.has(k)) return false;
    taken.add(k);
    return true;
  });
  const kept = mints.filter((_, i) => recorded[i]);
  if (kept.length > 0) {
    await tx.insertInto('access_tokens').values(kept.map(tokenToRow)).execute();
    await tx
      .insertInto('auth_events')
      .values(kept.map((m) => eventToRow(m.event)))
      .execute();
  }
  return recorded;
}

export function tokenToRow(mint: MintRecord): Insertable<Database['access_tokens']> {
  return { token_hash: mint.tokenHash, ...mint.grant, scopes: mint.grant.scopes.join(' ') };
}
