import type { DenyReason } from '../exchange/deny-reasons.ts';

/**
 * The steps of a rule test, in the exchange's pipeline order (spec §5.4). Finer than the
 * catalog's `step` field so an admin sees which check inside "claims" or "rule" failed.
 */
export const TRACE_STEPS = [
  'rule',
  'issuer',
  'header',
  'iss',
  'signature',
  'required_claims',
  'lifetime',
  'audience',
  'subject_prefix',
  'claims',
  'condition',
  'service_account',
  'workspace',
  'replay',
] as const;

export type TraceStepName = (typeof TRACE_STEPS)[number];

/** A Record over every reason: a new reason in the catalog does not compile until it has a step. */
export const STEP_OF_REASON: Record<DenyReason, TraceStepName> = {
  rule_archived: 'rule',
  issuer_archived: 'issuer',
  assertion_malformed: 'header',
  alg_not_allowed: 'header',
  kid_missing: 'header',
  issuer_mismatch: 'iss',
  kid_not_found: 'signature',
  jwks_unavailable: 'signature',
  signature_invalid: 'signature',
  sub_missing: 'required_claims',
  exp_missing: 'required_claims',
  expired: 'required_claims',
  iat_missing: 'required_claims',
  iat_in_future: 'required_claims',
  not_yet_valid: 'required_claims',
  lifetime_exceeded: 'lifetime',
  match_audience: 'audience',
  match_subject_prefix: 'subject_prefix',
  match_claims: 'claims',
  match_condition: 'condition',
  service_account_archived: 'service_account',
  service_account_mismatch: 'service_account',
  service_account_role: 'service_account',
  workspace_not_found: 'workspace',
  workspace_id_required: 'workspace',
  workspace_not_enabled: 'workspace',
  workspace_membership: 'workspace',
  jti_reused: 'replay',
};

/** The steps `verifyAssertion` performs, in the order it performs them. */
export const VERIFICATION_STEPS = ['header', 'iss', 'signature', 'required_claims', 'lifetime'] as const satisfies readonly TraceStepName[];
export type VerificationStep = (typeof VERIFICATION_STEPS)[number];

export const MATCH_STEPS = ['audience', 'subject_prefix', 'claims', 'condition'] as const satisfies readonly TraceStepName[];

export interface TraceStep {
  step: TraceStepName;
  status: 'pass' | 'fail' | 'skipped';
  /** Display text only: what the rule or issuer requires. */
  expected?: string;
  /** Display text only: what the token or request had (untrusted, truncated and cleaned). */
  actual?: string;
  hint?: string;
}

export interface RuleTrace {
  outcome: 'match' | 'no_match';
  /** The first failing step: the one the real exchange would stop at. */
  failed_step: TraceStepName | null;
  /** The reason code the real exchange would record for this attempt. */
  reason: DenyReason | null;
  steps: TraceStep[];
}

/**
 * Collects steps in pipeline order and remembers the first failure with its reason, so the
 * trace's `reason` is by construction what the exchange (which stops there) records.
 */
export class TraceRecorder {
  private readonly steps: TraceStep[] = [];
  private firstFailure: { step: TraceStepName; reason: DenyReason } | null = null;

  pass(step: TraceStepName, display: Omit<TraceStep, 'step' | 'status'> = {}): void {
    this.steps.push({ step, status: 'pass', ...display });
  }

  fail(reason: DenyReason, display: Omit<TraceStep, 'step' | 'status'> = {}): void {
    const step = STEP_OF_REASON[reason];
    this.firstFailure ??= { step, reason };
    this.steps.push({ step, status: 'fail', ...display });
  }

  skip(step: TraceStepName, hint: string, display: Omit<TraceStep, 'step' | 'status' | 'hint'> = {}): void {
    this.steps.push({ step, status: 'skipped', ...display, hint });
  }

  finish(): RuleTrace {
    return {
      outcome: this.firstFailure === null ? 'match' : 'no_match',
      failed_step: this.firstFailure?.step ?? null,
      reason: this.firstFailure?.reason ?? null,
      steps: this.steps,
    };
  }
}
