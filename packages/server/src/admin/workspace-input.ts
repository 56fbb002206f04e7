import { Type } from 'typebox';
import type { DataResidency } from '../domain/types.ts';
import { badRequest } from '../http/errors.ts';
import { Nullable } from './common-schemas.ts';

/** Workspace fields (spec §1.2, SDK workspaces.d.ts) and the checks JSON Schema can't express. */

export const WorkspaceName = Type.String({ minLength: 1, maxLength: 40 });
export const DisplayColor = Type.String({ pattern: '^#[0-9A-Fa-f]{6}$' });
const Geo = Type.Enum(['global', 'us']);
const AllowedGeos = Type.Union([Type.Array(Geo, { minItems: 1, maxItems: 2 }), Type.Literal('unrestricted')]);

export const DataResidencyCreate = Type.Object({
  allowed_inference_geos: Type.Optional(Nullable(AllowedGeos)),
  default_inference_geo: Type.Optional(Nullable(Geo)),
  workspace_geo: Type.Optional(Nullable(Type.Literal('us'))),
});
export const DataResidencyUpdate = Type.Object({
  allowed_inference_geos: Type.Optional(Nullable(AllowedGeos)),
  default_inference_geo: Type.Optional(Nullable(Geo)),
});

const MAX_TAGS = 50;
const MAX_TAG_KEY = 64;
const MAX_TAG_VALUE = 256;
export const DEFAULT_DISPLAY_COLOR = '#6C5BB9';
export const MAX_LIVE_WORKSPACES = 100;

export const DEFAULT_RESIDENCY: DataResidency = { allowed_inference_geos: 'unrestricted', default_inference_geo: 'global', workspace_geo: 'us' };

/** Applies a create/update residency config: `default_inference_geo` must be allowed. */
export function mergeResidency(
  current: DataResidency,
  input: { allowed_inference_geos?: DataResidency['allowed_inference_geos'] | null; default_inference_geo?: 'global' | 'us' | null } | null | undefined,
): DataResidency {
  if (!input) return current;
  const allowed = input.allowed_inference_geos ?? current.allowed_inference_geos;
  const fallback = allowed === 'unrestricted' || allowed.includes(current.default_inference_geo) ? current.default_inference_geo : allowed[0];
  const defaultGeo = input.default_inference_geo ?? fallback ?? 'global';
  if (allowed !== 'unrestricted' && !allowed.includes(defaultGeo)) {
    throw badRequest(`data_residency.default_inference_geo: ${JSON.stringify(defaultGeo)} is not one of allowed_inference_geos`);
  }
  return {
    allowed_inference_geos: Array.isArray(allowed) ? [...new Set(allowed)] : allowed,
    default_inference_geo: defaultGeo,
    workspace_geo: current.workspace_geo,
  };
}

/** Merges tag changes: a string sets a key, null removes it. Keys may not start with "anthropic". */
export function mergeTags(current: Record<string, string>, changes: Record<string, string | null> | null | undefined): Record<string, string> {
  if (!changes) return current;
  const next: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (key.length === 0 || key.length > MAX_TAG_KEY) throw badRequest(`tags: keys must be 1-${MAX_TAG_KEY} characters`);
    if (key.toLowerCase().startsWith('anthropic')) throw badRequest(`tags: key ${JSON.stringify(key)} may not begin with "anthropic"`);
    if (value === null) {
      delete next[key];
      continue;
    }
    if (value.length > MAX_TAG_VALUE) throw badRequest(`tags.${key}: must be at most ${MAX_TAG_VALUE} characters`);
    next[key] = value;
  }
  if (Object.keys(next).length > MAX_TAGS) throw badRequest(`tags: at most ${MAX_TAGS} tags`);
  return next;
}

/** CMEK keys and user profiles don't exist in OpenWIF: refuse them rather than pretend. */
export function rejectUnsupported(body: { external_key_id?: string | null; user_profile_id?: string | null }): void {
  if (body.external_key_id !== undefined && body.external_key_id !== null) {
    throw badRequest('external_key_id: customer-managed encryption keys are not supported by this server');
  }
  if (body.user_profile_id !== undefined && body.user_profile_id !== null) {
    throw badRequest('user_profile_id: user profiles are not supported by this server');
  }
}
