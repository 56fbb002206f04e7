import { Type, type TSchema } from 'typebox';
import { SLUG_PATTERN } from './validation.ts';

/** Schema fragments shared by several resources (spec §4.1). */

export const Slug = Type.String({ minLength: 1, maxLength: 255, pattern: SLUG_PATTERN });
export const Description = Type.String({ maxLength: 2000 });

/** `T | null`, for update fields where null means "unchanged" (or "clear", for descriptions). */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** Tagged IDs in bodies: validated for shape here, for existence by the handler. */
export const TaggedIdString = Type.String({ minLength: 1, maxLength: 128 });

export const NoBillingWorkspaceRole = Type.Enum(['workspace_admin', 'workspace_developer', 'workspace_restricted_developer', 'workspace_user']);

export const IncludeArchived = Type.Boolean();
