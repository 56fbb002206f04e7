import type { Audited } from '../../domain/types.ts';
import { NameConflictError } from '../ports.ts';

/** Unique-constraint violations, recognised by driver error code, never by message text. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Runs a write guarded by a live-name unique index; breaking the index is a NameConflictError. */
export async function withUniqueName(write: () => Promise<unknown>, conflictMessage: string): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new NameConflictError(conflictMessage);
    throw err;
  }
}

/** The creation, update and archive columns, which rows and domain objects name alike. */
export function auditFields(from: Audited): Audited {
  return {
    created_at: from.created_at,
    updated_at: from.updated_at,
    archived_at: from.archived_at,
    created_by_actor_id: from.created_by_actor_id,
    updated_by_actor_id: from.updated_by_actor_id,
    archived_by_actor_id: from.archived_by_actor_id,
  };
}
