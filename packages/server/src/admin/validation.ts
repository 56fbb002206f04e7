import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

interface TypeBoxError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

/**
 * TypeBox validation for the Admin API. Bodies are checked strictly (a string is never coerced
 * into a number or boolean: `"check_jti": "yes"` is a 400 naming the field), while query strings
 * and path parameters are converted first, since they only ever arrive as text.
 */
export const adminValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (value: unknown) => {
    const candidate = httpPart === 'body' ? value : convertText(schema, value);
    if (validator.Check(candidate)) return { value: candidate };
    return { error: [mostUsefulError(validator.Errors(candidate) as TypeBoxError[])] };
  };
};

/**
 * Converts query/path text to the schema's types, except that an integer field whose text is
 * not a whole number (`limit=5.5`, `limit=1e3`) stays text, so validation rejects it instead of
 * silently truncating it.
 */
function convertText(schema: TSchema, value: unknown): unknown {
  // Value.Convert works in place, so keep the original text first.
  const raw = typeof value === 'object' && value !== null ? Object.entries(value) : [];
  const converted = Value.Convert(schema, value);
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof converted !== 'object' || converted === null) return converted;
  for (const [key, text] of raw) {
    if (properties[key]?.type === 'integer' && typeof text === 'string' && !/^-?\d+$/.test(text)) (converted as Record<string, unknown>)[key] = text;
  }
  return converted;
}

/**
 * The error handler reports the first error only, so put the one that names the real problem
 * first: a union's `anyOf` summary and the "must be null" half of a nullable field say nothing
 * useful, and `required` is reshaped into the `missingProperty` form the handler understands.
 */
export function mostUsefulError(errors: TypeBoxError[]): FastifySchemaValidationError {
  const informative = errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params['type'] === 'null'));
  const chosen = informative[0] ?? errors[0];
  if (!chosen) return { keyword: 'type', instancePath: '', schemaPath: '#', params: {}, message: 'is invalid' };
  if (chosen.keyword === 'required') {
    const missing = (chosen.params['requiredProperties'] as string[] | undefined)?.[0] ?? '';
    return { ...chosen, params: { missingProperty: missing }, message: 'Field required' };
  }
  if (chosen.keyword === 'enum') {
    const allowed = (chosen.params['allowedValues'] as unknown[] | undefined) ?? [];
    return { ...chosen, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  if (chosen.keyword === 'const') {
    return { ...chosen, message: `must be ${JSON.stringify(chosen.params['allowedValue'])}` };
  }
  if (chosen.keyword === 'pattern' && typeof chosen.params['pattern'] === 'string' && chosen.params['pattern'] === SLUG_PATTERN) {
    return { ...chosen, message: 'must contain only lowercase letters, digits and hyphens' };
  }
  return chosen;
}

export const SLUG_PATTERN = '^[a-z0-9-]+$';
