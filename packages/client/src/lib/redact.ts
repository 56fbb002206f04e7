const MAX_TEXT_CHARS = 2000;
const KEPT_ERROR_FIELDS = ['error', 'error_description', 'error_uri'] as const;

/**
 * Reduces a token-endpoint error body to what is safe to keep in an
 * exception (spec §9.10): objects keep only the RFC 6749 error fields (for the
 * Anthropic envelope that is the nested `error` object), text is truncated,
 * anything else is dropped.
 */
export function redactErrorBody(body: unknown): unknown {
  if (typeof body === 'string') return truncateText(body, MAX_TEXT_CHARS);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const kept: Record<string, unknown> = {};
  for (const field of KEPT_ERROR_FIELDS) {
    if (field in body) kept[field] = (body as Record<string, unknown>)[field];
  }
  return kept;
}

export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… <${text.length - maxChars} more chars>`;
}

/** Parses JSON, returning the raw text when it is not JSON. */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
