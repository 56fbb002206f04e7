import { isTaggedId, isUuid } from '../domain/ids.ts';
import { badRequest } from '../http/errors.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const MAX_ASSERTION_BYTES = 16 * 1024;

export interface ExchangeRequest {
  assertion: string;
  federationRuleId: string;
  organizationId: string;
  serviceAccountId: string | null;
  /** A `wrkspc_` ID, the literal `default`, or null when omitted. */
  workspaceId: string | null;
}

/**
 * Step 1 of the pipeline: shape only, 400 with the field named, no event recorded (spec §5.3).
 * Unknown fields are ignored, as the real endpoint does; a field sent twice in a form body is
 * ambiguous and rejected.
 */
export function parseExchangeRequest(body: unknown): ExchangeRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object or a form-encoded body.');
  }
  const fields = body as Record<string, unknown>;
  const grantType = requiredString(fields, 'grant_type');
  if (grantType !== JWT_BEARER_GRANT) {
    throw badRequest(`grant_type: unsupported grant type; expected "${JWT_BEARER_GRANT}".`, 'unsupported_grant_type');
  }
  const assertion = requiredString(fields, 'assertion');
  if (Buffer.byteLength(assertion, 'utf8') > MAX_ASSERTION_BYTES) {
    throw badRequest(`assertion: must be at most ${MAX_ASSERTION_BYTES} bytes.`);
  }
  const federationRuleId = requiredString(fields, 'federation_rule_id');
  if (!isTaggedId('rule', federationRuleId)) throw badRequest('federation_rule_id: must be a federation rule ID (fdrl_…).');
  const organizationId = requiredString(fields, 'organization_id');
  if (!isUuid(organizationId)) throw badRequest('organization_id: must be an organization UUID.');
  const serviceAccountId = optionalString(fields, 'service_account_id');
  if (serviceAccountId !== null && !isTaggedId('serviceAccount', serviceAccountId)) {
    throw badRequest('service_account_id: must be a service account ID (svac_…).');
  }
  const workspaceId = optionalString(fields, 'workspace_id');
  if (workspaceId !== null && workspaceId !== 'default' && !isTaggedId('workspace', workspaceId)) {
    throw badRequest('workspace_id: must be a workspace ID (wrkspc_…) or "default".');
  }
  return { assertion, federationRuleId, organizationId, serviceAccountId, workspaceId };
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = fields[name];
  if (value === undefined || value === null || value === '') throw badRequest(`${name}: Field required`);
  if (Array.isArray(value)) throw badRequest(`${name}: must be given once`);
  if (typeof value !== 'string') throw badRequest(`${name}: must be a string`);
  return value;
}

function optionalString(fields: Record<string, unknown>, name: string): string | null {
  const value = fields[name];
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) throw badRequest(`${name}: must be given once`);
  if (typeof value !== 'string') throw badRequest(`${name}: must be a string`);
  if (value === '') throw badRequest(`${name}: must not be empty`);
  return value;
}
