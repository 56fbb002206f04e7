import type { Issuer } from '../domain/types.ts';
import { ExchangeDenied } from '../exchange/deny-reasons.ts';
import { CLOCK_LEEWAY_SECONDS, verifyAssertion } from '../exchange/verify-assertion.ts';
import { describeValue } from '../policy/match-hints.ts';
import type { KeyResolver } from '../trust/key-resolver.ts';
import { IAT_MISSING_HINT, issuerNearMiss } from './near-miss.ts';
import { STEP_OF_REASON, VERIFICATION_STEPS, type TraceRecorder, type TraceStep, type VerificationStep } from './trace-steps.ts';

/** What the test was given: a signed assertion (fully verified), or bare claims (matching only). */
export type TestSubject = { kind: 'assertion'; assertion: string } | { kind: 'claims'; claims: Record<string, unknown> };

/** The unverified header and payload, decoded for display only: no decision is made on them. */
export interface AssertionPeek {
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
}

export function peekAssertion(assertion: string): AssertionPeek {
  const [header = '', payload = ''] = assertion.split('.', 3);
  return { header: decodeObject(header), payload: decodeObject(payload) };
}

function decodeObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Steps 4–8 through the exchange's own `verifyAssertion`: it decides, and its ExchangeDenied
 * names the failing step. Returns the verified claims, or null when verification did not pass.
 */
export async function traceToken(
  trace: TraceRecorder,
  subject: TestSubject,
  issuer: Issuer | null,
  keys: KeyResolver,
  now: Date,
): Promise<Record<string, unknown> | null> {
  if (subject.kind === 'claims') {
    for (const step of VERIFICATION_STEPS) trace.skip(step, 'not checked: claims were given, not a signed assertion');
    return subject.claims;
  }
  if (issuer === null) {
    for (const step of VERIFICATION_STEPS) trace.skip(step, 'not checked: the issuer is archived');
    return null;
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const peek = peekAssertion(subject.assertion);
  const display = (step: VerificationStep) => describeStep(step, peek, issuer, nowSeconds);
  try {
    const verified = await verifyAssertion(subject.assertion, issuer, keys, nowSeconds);
    for (const step of VERIFICATION_STEPS) trace.pass(step, display(step));
    return verified.claims;
  } catch (err) {
    if (!(err instanceof ExchangeDenied)) throw err;
    const failed = STEP_OF_REASON[err.reason];
    let reached = true;
    for (const step of VERIFICATION_STEPS) {
      if (step === failed) {
        trace.fail(err.reason, { ...display(step), hint: joinHints(err.detail, nearMiss(err.reason, peek, issuer)) });
        reached = false;
      } else if (!reached) {
        trace.skip(step, 'not checked: an earlier step failed', display(step));
      } else {
        trace.pass(step, display(step));
      }
    }
    if (reached) throw new Error(`verifyAssertion denied with ${err.reason}, which is not a verification step`);
    return null;
  }
}

function nearMiss(reason: ExchangeDenied['reason'], peek: AssertionPeek, issuer: Issuer): string | null {
  if (reason === 'issuer_mismatch') return issuerNearMiss(issuer.issuer_url, peek.payload?.iss);
  if (reason === 'iat_missing') return IAT_MISSING_HINT;
  return null;
}

function describeStep(step: VerificationStep, peek: AssertionPeek, issuer: Issuer, now: number): Omit<TraceStep, 'step' | 'status'> {
  const header = peek.header ?? {};
  const claims = peek.payload ?? {};
  switch (step) {
    case 'header':
      return { expected: 'a compact JWS; alg RS/PS/ES 256/384/512; a kid', actual: `alg ${describeValue(header.alg, 32)}, kid ${describeValue(header.kid)}` };
    case 'iss':
      return { expected: describeValue(issuer.issuer_url, 1024), actual: describeValue(claims.iss, 1024) };
    case 'signature':
      return { expected: `a key with this kid in the issuer's key set (${issuer.jwks.type})`, actual: `kid ${describeValue(header.kid)}` };
    case 'required_claims':
      return {
        expected: `sub; exp and iat, each within ${CLOCK_LEEWAY_SECONDS} s of now (${now}); nbf, if present, not after now`,
        actual: `sub ${describeValue(claims.sub)}, iat ${describeValue(claims.iat)}, exp ${describeValue(claims.exp)}, nbf ${describeValue(claims.nbf)}`,
      };
    case 'lifetime': {
      const { exp, iat } = claims;
      const lifetime = typeof exp === 'number' && typeof iat === 'number' ? `exp − iat = ${exp - iat} s` : 'exp or iat is not a number';
      return { expected: `exp − iat ≤ ${issuer.max_jwt_lifetime_seconds} s (the issuer's max_jwt_lifetime_seconds)`, actual: lifetime };
    }
  }
}

export function joinHints(...hints: (string | null | undefined)[]): string | undefined {
  const present = hints.filter((hint): hint is string => typeof hint === 'string' && hint.length > 0);
  return present.length === 0 ? undefined : present.join(' — ');
}
