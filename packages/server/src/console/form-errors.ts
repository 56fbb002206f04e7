/**
 * API 400 messages name their field first (`match.audience: must not be empty`). A form shows
 * each message next to the input it names, and anything it cannot place at the top of the form.
 */
export class FormErrors {
  private readonly byField = new Map<string, string>();
  private readonly general: string[] = [];

  /** `fields`: the API field paths the form has inputs for. */
  static fromApiMessage(message: string, fields: readonly string[]): FormErrors {
    const errors = new FormErrors();
    errors.addApiMessage(message, fields);
    return errors;
  }

  static none(): FormErrors {
    return new FormErrors();
  }

  addApiMessage(message: string, fields: readonly string[]): void {
    const match = /^([A-Za-z_][\w.-]*): ([\s\S]+)$/.exec(message);
    const named = match?.[1];
    // The most specific input that is the named field or one of its parents (match.claims.env → match.claims).
    const target =
      named === undefined ? undefined : [...fields].sort((a, b) => b.length - a.length).find((field) => named === field || named.startsWith(`${field}.`));
    if (target === undefined) {
      this.general.push(message);
      return;
    }
    this.set(target, message);
  }

  set(field: string, message: string): void {
    this.byField.set(field, this.byField.has(field) ? `${this.byField.get(field)} ${message}` : message);
  }

  addGeneral(message: string): void {
    this.general.push(message);
  }

  for(field: string): string | null {
    return this.byField.get(field) ?? null;
  }

  get generalMessages(): readonly string[] {
    return this.general;
  }

  get isEmpty(): boolean {
    return this.byField.size === 0 && this.general.length === 0;
  }
}
