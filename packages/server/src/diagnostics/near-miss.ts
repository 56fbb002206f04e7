import { describeValue } from '../policy/match-hints.ts';

/**
 * "Almost matched" explanations for a rule test. These never decide anything: the exchange's
 * own checks decide pass/fail, and these only add a likely cause to a step that already failed.
 * Token values are untrusted, so they reach the text only through describeValue.
 */

const ENTRA_V1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/$/i;
const ENTRA_V2 = /^https:\/\/login\.microsoftonline\.com\/([^/]+)\/v2\.0$/i;

export function issuerNearMiss(expected: string, actual: unknown): string | null {
  if (actual === undefined) return 'the token has no iss claim';
  if (typeof actual !== 'string') return `iss must be a string, got ${describeValue(actual)}`;
  if (actual === expected) return null;
  if (actual.toLowerCase() === expected.toLowerCase()) return 'iss differs from issuer_url only by letter case; iss is compared byte for byte';
  if (withoutTrailingSlash(actual) === withoutTrailingSlash(expected)) {
    return actual.endsWith('/')
      ? 'iss ends with a slash that issuer_url lacks; iss is compared byte for byte'
      : 'iss lacks the trailing slash that issuer_url has; iss is compared byte for byte';
  }
  if (actual.trim() === expected) return 'iss has leading or trailing whitespace';
  return entraFormMismatch(expected, actual);
}

/** Entra issues v1 tokens (sts.windows.net) unless the app registration asks for v2. */
function entraFormMismatch(expected: string, actual: string): string | null {
  const tokenV1 = ENTRA_V1.exec(actual)?.[1];
  const tokenV2 = ENTRA_V2.exec(actual)?.[1];
  const issuerV1 = ENTRA_V1.exec(expected)?.[1];
  const issuerV2 = ENTRA_V2.exec(expected)?.[1];
  if (tokenV1 !== undefined && issuerV2 !== undefined && sameTenant(tokenV1, issuerV2)) {
    return 'the token is an Entra v1 token (https://sts.windows.net/<tid>/) but the issuer is registered with the v2 URL (https://login.microsoftonline.com/<tid>/v2.0): set accessTokenAcceptedVersion to 2 in the app registration manifest, or register the v1 URL as an issuer';
  }
  if (tokenV2 !== undefined && issuerV1 !== undefined && sameTenant(tokenV2, issuerV1)) {
    return 'the token is an Entra v2 token (https://login.microsoftonline.com/<tid>/v2.0) but the issuer is registered with the v1 URL (https://sts.windows.net/<tid>/): register the v2 URL as an issuer';
  }
  if ((tokenV1 ?? tokenV2) !== undefined && (issuerV1 ?? issuerV2) !== undefined) {
    return 'both are Entra issuer URLs but for different tenants (tid)';
  }
  return null;
}

function sameTenant(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** `accepted`: the rule's audience, or the server's default audiences when the rule sets none. */
export function audienceNearMiss(accepted: readonly string[], aud: unknown, ruleAudience: string | null): string | null {
  const notes: string[] = [];
  if (ruleAudience !== null && /^\s*\[|,/.test(ruleAudience)) {
    notes.push('the rule audience looks like a list, but it is one value compared exactly with aud (or with each element of an aud array)');
  }
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((v): v is string => typeof v === 'string') : [];
  for (const want of accepted) {
    for (const got of values) {
      if (got === want) continue;
      if (withoutTrailingSlash(got) === withoutTrailingSlash(want))
        notes.push(`aud ${describeValue(got)} differs from ${describeValue(want)} only by a trailing slash`);
      else if (got.toLowerCase() === want.toLowerCase()) notes.push(`aud ${describeValue(got)} differs from ${describeValue(want)} only by letter case`);
    }
    if (typeof aud === 'string' && aud !== want && aud.includes(want) && /[\s,[\]]/.test(aud)) {
      notes.push(`aud is one string that contains ${describeValue(want)} inside a list; the issuer must send aud as a JSON array`);
    }
    if (Array.isArray(aud) && aud.some((item) => Array.isArray(item) && item.includes(want))) {
      notes.push(`aud is an array holding a nested array with ${describeValue(want)}; only top-level string elements count`);
    }
  }
  return notes.length === 0 ? null : unique(notes).join('; ');
}

/** `subject_prefix` ending in `*` is a prefix match, anything else is exact (spec §4.3). */
export function subjectNearMiss(subjectPrefix: string, sub: unknown): string | null {
  if (typeof sub !== 'string') return null;
  const isPrefix = subjectPrefix.endsWith('*');
  const want = (isPrefix ? subjectPrefix.slice(0, -1) : subjectPrefix).toLowerCase();
  const got = sub.toLowerCase();
  const caseOnly = isPrefix ? got.startsWith(want) : got === want;
  return caseOnly ? 'sub matches only when letter case is ignored; subject_prefix is case-sensitive' : null;
}

export function claimsNearMiss(expected: Readonly<Record<string, string>>, claims: Record<string, unknown>): string | null {
  const notes: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = Object.hasOwn(claims, name) ? claims[name] : undefined;
    if (got === want) continue;
    if (typeof got === 'string' && got.toLowerCase() === want.toLowerCase()) {
      notes.push(`${name} differs only by letter case; claims values are case-sensitive`);
    } else if (Array.isArray(got) && got.includes(want)) {
      notes.push(
        `${name} is a list that contains ${describeValue(want)}; claims compares one string value, use a condition such as ${describeValue(`${JSON.stringify(want)} in claims.${name}`, 120)}`,
      );
    } else if (typeof got === 'number' || typeof got === 'boolean') {
      if (String(got) === want)
        notes.push(`${name} is the ${typeof got} ${String(got)}, not the string ${describeValue(want)}; use a condition for non-string claims`);
    } else if (got === undefined) {
      const otherCase = Object.keys(claims).find((key) => key !== name && key.toLowerCase() === name.toLowerCase());
      if (otherCase !== undefined)
        notes.push(`the token has ${describeValue(otherCase)} but the rule names ${describeValue(name)}; claim names are case-sensitive`);
    }
  }
  return notes.length === 0 ? null : notes.slice(0, 5).join('; ');
}

export const IAT_MISSING_HINT =
  'the token has no iat claim; every assertion needs one (spec §5.5). Some issuers omit it unless asked: SPIFFE JWT-SVIDs, for example, must be configured to include iat';

function withoutTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function unique(notes: string[]): string[] {
  return [...new Set(notes)];
}
