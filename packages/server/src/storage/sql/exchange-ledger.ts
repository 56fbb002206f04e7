import type { ExchangeLedger, MintRecord, ReplayStore } from '../ports.ts';
import { GroupCommit } from './group-commit.ts';

/** Writes one batch of mints durably; one result per mint (`mint-batch.ts`). */
type MintBatchWriter = (mints: MintRecord[]) => Promise<boolean[]>;

/**
 * The exchange's one durable write: claim the jti, store the token hash, record the success
 * event — all or nothing. Mints that arrive while a commit is in flight are written together
 * by the next one (group commit), in one transaction. With an external replay store (Redis) the
 * jti is claimed there first; a database failure after that burns the jti without minting,
 * which fails closed.
 */
export class SqlExchangeLedger implements ExchangeLedger {
  private readonly commits: GroupCommit<MintRecord, boolean>;

  constructor(
    writeBatch: MintBatchWriter,
    private readonly externalReplay: ReplayStore | null,
  ) {
    this.commits = new GroupCommit(writeBatch);
  }

  async recordMint(mint: MintRecord): Promise<boolean> {
    if (mint.replay && this.externalReplay) {
      if (!(await this.externalReplay.claim(mint.replay.issuerId, mint.replay.jti, mint.replay.expiresAt))) return false;
      return this.commits.submit({ ...mint, replay: null });
    }
    return this.commits.submit(mint);
  }

  /** Resolves once every mint submitted so far is written (or has failed): the store's close waits for it. */
  drain(): Promise<void> {
    return this.commits.drain();
  }
}
