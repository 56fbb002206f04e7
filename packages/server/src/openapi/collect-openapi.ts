import type { FastifyInstance, RouteOptions } from 'fastify';
import type { OpenApiDocument, OperationObject, ParameterObject, PathItemObject, ResponseObject } from './openapi-types.ts';

/**
 * Builds the OpenAPI 3.1 document from the route schemas themselves, so it cannot drift from
 * what the server validates. A route opts out with `config: { openapi: false }` and may add or
 * override operation fields (summary, a hand-written requestBody…) with `config: { openapi: {…} }`.
 */
export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  /** Routes to document; by default every route that is not a method catch-all. */
  include?: (route: { method: string; url: string }) => boolean;
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  extra: Partial<OperationObject>;
}

const DOCUMENTED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

const ERROR_ENVELOPE = {
  type: 'object',
  required: ['type', 'error', 'request_id'],
  properties: {
    type: { const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: { type: { type: 'string' }, message: { type: 'string' } },
    },
    request_id: { type: 'string' },
  },
};

/**
 * Call before any route is registered (the onRoute hook is inherited by every child scope);
 * returns a function that builds the document from everything registered by then.
 */
export function collectOpenApi(app: FastifyInstance, options: OpenApiOptions): () => OpenApiDocument {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { openapi?: false | Partial<OperationObject> };
    if (config.openapi === false) return;
    const methods = [route.method].flat().map((m) => m.toUpperCase());
    // A route answering OPTIONS as well is a method catch-all (405 / CORS), not an operation.
    if (methods.includes('OPTIONS')) return;
    for (const method of methods) {
      if (!DOCUMENTED_METHODS.has(method)) continue;
      if (options.include && !options.include({ method, url: route.url })) continue;
      routes.push({ method, url: route.url, schema: (route.schema ?? {}) as Record<string, unknown>, extra: config.openapi ?? {} });
    }
  });
  return () => buildDocument(routes, options);
}

function buildDocument(routes: readonly CollectedRoute[], options: OpenApiOptions): OpenApiDocument {
  const paths: Record<string, PathItemObject> = {};
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase() as keyof PathItemObject] = { ...operationFor(route), ...route.extra };
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    paths,
    components: {
      schemas: { Error: ERROR_ENVELOPE },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The admin token, a console session, or an org:admin token minted by a federation rule.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}

function operationFor(route: CollectedRoute): OperationObject {
  const { schema } = route;
  const parameters = [
    ...pathParameters(route.url, schema['params']),
    ...schemaParameters(schema['querystring'], 'query'),
    ...schemaParameters(schema['headers'], 'header'),
  ];
  const operation: OperationObject = {
    operationId: operationId(route.method, route.url),
    tags: [tagOf(route.url)],
    responses: responsesFor(schema['response']),
  };
  if (parameters.length > 0) operation.parameters = parameters;
  if (schema['body'] !== undefined) {
    operation.requestBody = { required: true, content: { 'application/json': { schema: plain(schema['body']) } } };
  }
  // The Admin API authenticates every call; the token endpoint and probes are public.
  if (route.url.startsWith('/v1/organizations')) operation.security = [{ bearer: [] }, { apiKey: [] }];
  return operation;
}

/** Every `:name` of the URL, typed from the params schema when there is one. */
function pathParameters(url: string, paramsSchema: unknown): ParameterObject[] {
  const properties = propertiesOf(paramsSchema);
  return [...url.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name: name!,
    in: 'path' as const,
    required: true,
    schema: plain(properties[name!] ?? { type: 'string' }),
  }));
}

function schemaParameters(schema: unknown, where: 'query' | 'header'): ParameterObject[] {
  const properties = propertiesOf(schema);
  const required = new Set(((schema as { required?: string[] } | undefined)?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: required.has(name), schema: plain(property) }));
}

function responsesFor(responseSchemas: unknown): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  for (const [status, schema] of Object.entries((responseSchemas ?? {}) as Record<string, unknown>)) {
    responses[status] = { description: `HTTP ${status}`, content: { 'application/json': { schema: plain(schema) } } };
  }
  if (Object.keys(responses).every((status) => !status.startsWith('2'))) responses['200'] = { description: 'Success' };
  const error = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  responses['4XX'] ??= { description: 'Client error, in the error envelope', ...error };
  responses['5XX'] ??= { description: 'Server error, in the error envelope (message masked)', ...error };
  return responses;
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null) return {};
  return ((schema as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
}

/** A JSON-only deep copy: route schemas stay untouched, and any non-JSON decoration drops out. */
function plain(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema ?? {})) as Record<string, unknown>;
}

function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s));
  return [method.toLowerCase(), ...words].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

/** The resource a path belongs to: `/v1/organizations/federation_rules/...` → `federation_rules`. */
function tagOf(url: string): string {
  const segments = url.split('/').filter((s) => s.length > 0);
  if (segments[0] === 'v1' && segments[1] === 'organizations') return segments[2] ?? 'organizations';
  if (segments[0] === 'v1') return segments[1] ?? 'v1';
  return 'operations';
}
