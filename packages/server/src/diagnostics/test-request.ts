import { Type, type Static } from 'typebox';
import { isTaggedId } from '../domain/ids.ts';
import { MAX_ASSERTION_BYTES } from '../exchange/parse-request.ts';
import { badRequest } from '../http/errors.ts';
import type { RequestedTarget } from './trace-rule.ts';
import type { TestSubject } from './trace-token.ts';

/** Raw claims get the same budget as an assertion's whole text, so a test costs no more than an exchange. */
export const MAX_CLAIMS_BYTES = MAX_ASSERTION_BYTES;

export const TestBody = Type.Object({
  assertion: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ASSERTION_BYTES })),
  claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  workspace_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  service_account_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});
const KNOWN_FIELDS = new Set(Object.keys(TestBody.properties));
export type TestBody = Static<typeof TestBody>;

export interface TestRequest {
  subject: TestSubject;
  requested: RequestedTarget;
}

/** The same field rules as the token endpoint (spec §5.1) for the fields the two share. */
export function parseTestRequest(body: TestBody): TestRequest {
  // Unlike the token endpoint, unknown fields are refused: a misspelt workspace_id must not be ignored.
  const unknown = Object.keys(body).find((key) => !KNOWN_FIELDS.has(key));
  if (unknown !== undefined) throw badRequest(`${unknown.slice(0, 64)}: Extra inputs are not permitted`);
  return { subject: parseSubject(body), requested: parseRequestedTarget(body) };
}

function parseSubject(body: TestBody): TestSubject {
  if (body.assertion !== undefined && body.claims !== undefined) throw badRequest('Send either assertion or claims, not both.');
  if (body.assertion !== undefined) {
    if (Buffer.byteLength(body.assertion, 'utf8') > MAX_ASSERTION_BYTES) throw badRequest(`assertion: must be at most ${MAX_ASSERTION_BYTES} bytes.`);
    return { kind: 'assertion', assertion: body.assertion };
  }
  if (body.claims !== undefined) {
    const { claims } = body;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw badRequest('claims: must be a JSON object');
    if (Buffer.byteLength(JSON.stringify(claims), 'utf8') > MAX_CLAIMS_BYTES) throw badRequest(`claims: must be at most ${MAX_CLAIMS_BYTES} bytes as JSON.`);
    return { kind: 'claims', claims };
  }
  throw badRequest('Send assertion (a signed JWT, fully verified) or claims (a JSON object, matching only).');
}

function parseRequestedTarget(body: TestBody): RequestedTarget {
  const workspaceId = body.workspace_id ?? null;
  if (workspaceId !== null && workspaceId !== 'default' && !isTaggedId('workspace', workspaceId)) {
    throw badRequest('workspace_id: must be a workspace ID (wrkspc_…) or "default".');
  }
  const serviceAccountId = body.service_account_id ?? null;
  if (serviceAccountId !== null && !isTaggedId('serviceAccount', serviceAccountId)) {
    throw badRequest('service_account_id: must be a service account ID (svac_…).');
  }
  return { workspaceId, serviceAccountId };
}
