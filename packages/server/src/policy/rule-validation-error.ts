/**
 * A rule (or one of its parts) was rejected at write time. `field` is the JSON path of the
 * offending input (e.g. `match.condition`) and `message` is safe to show to the admin who wrote
 * the rule: it never echoes token contents, only the rule's own text.
 */
export class RuleValidationError extends Error {
  override readonly name = 'RuleValidationError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}
