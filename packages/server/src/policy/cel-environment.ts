import { celEnv, celFunc, CelScalar, type CelEnv } from '@bufbuild/cel';
import type { EvaluationMeter } from './evaluation-meter.ts';
import type { RegexCache } from './regex-cache.ts';

/**
 * Name of the internal metering function spliced into comprehension loop conditions. The `@`
 * makes it unspellable in CEL source, so rule authors cannot call or shadow it.
 */
export const METER_FUNCTION = '@openwif_meter';

export interface PolicyCelEnvDeps {
  readonly regexCache: RegexCache;
  readonly meter: EvaluationMeter;
}

/**
 * The CEL environment every rule condition runs in: the @bufbuild/cel standard library (no
 * extensions), `matches()` backed by the caller's bounded RE2 cache, and the meter hook.
 */
export function createPolicyCelEnv(deps: PolicyCelEnvDeps): CelEnv {
  const { meter, regexCache } = deps;
  const meterFunction = celFunc(METER_FUNCTION, [CelScalar.DYN], CelScalar.DYN, (loopCondition) => {
    if (!meter.tick()) throw new Error('evaluation budget exceeded');
    return loopCondition;
  });
  return celEnv({
    re2: {
      compile: (pattern) => {
        const matcher = regexCache.compile(pattern);
        return { test: (text: string) => meter.withinDeadline() && matcher.test(text) };
      },
    },
    funcs: [meterFunction],
  });
}
