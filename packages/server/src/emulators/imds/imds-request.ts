/**
 * Validation of an IMDS identity request, in the order IMDS applies it: proxy header,
 * `Metadata: true`, duplicate parameters, `api-version`, `resource`, identity selector.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface ImdsError {
  status: number;
  body: { error: string; error_description: string };
}

export type IdentitySelector = { kind: 'default' } | { kind: 'client_id' | 'object_id' | 'msi_res_id'; value: string };

export interface ValidImdsRequest {
  resource: string;
  selector: IdentitySelector;
  bypassCache: boolean;
}

const SELECTORS = ['client_id', 'object_id', 'msi_res_id'] as const;
const FIRST_IDENTITY_API_VERSION = '2018-02-01';
const MAX_PARAM_LENGTH = 2048;

function invalid(description: string, error = 'invalid_request'): ImdsError {
  return { status: 400, body: { error, error_description: description } };
}

export function validateImdsRequest(headers: IncomingHttpHeaders, query: URLSearchParams, metadataErrorCode: string): ValidImdsRequest | ImdsError {
  if (headers['x-forwarded-for'] !== undefined)
    return invalid('Request contains the X-Forwarded-For header; proxied requests are not accepted.', 'bad_request');
  if (headers.metadata !== 'true') return invalid('Required metadata header not specified', metadataErrorCode);
  for (const name of new Set(query.keys())) {
    if (query.getAll(name).length > 1) return invalid(`Query parameter '${name.slice(0, 50)}' is specified more than once.`);
  }
  for (const value of query.values()) {
    if (value.length > MAX_PARAM_LENGTH) return invalid(`Query parameters are limited to ${MAX_PARAM_LENGTH} characters.`);
  }
  const apiVersion = query.get('api-version');
  if (apiVersion === null || apiVersion === '') return invalid("Required query variable 'api-version' is missing");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(apiVersion) || apiVersion < FIRST_IDENTITY_API_VERSION) {
    return invalid(`Invalid or unsupported api-version '${apiVersion.slice(0, 30)}' for the identity endpoint.`);
  }
  const resource = query.get('resource');
  if (resource === null || resource === '') return invalid("Required query variable 'resource' is missing");
  const given = SELECTORS.filter((name) => query.has(name));
  if (given.length > 1) return invalid('Only one of client_id, object_id and msi_res_id may be specified.');
  const [name] = given;
  const value = name === undefined ? undefined : query.get(name);
  if (name !== undefined && !value) return invalid(`Query parameter '${name}' must not be empty.`);
  return {
    resource,
    selector: name !== undefined && value ? { kind: name, value } : { kind: 'default' },
    bypassCache: query.get('bypass_cache') === 'true',
  };
}
