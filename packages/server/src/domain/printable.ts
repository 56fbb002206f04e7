/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text that came from outside (a token's claims, a server's error message) made safe to put in a
 * log line, a terminal or a page: every control character replaced, and cut to at most
 * `maxLength` characters, the last of them an ellipsis when it was cut.
 */
export function printable(text: string, maxLength: number, replacement = ' '): string {
  const clean = text.replace(CONTROL, replacement);
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
}

/**
 * Any value parsed from untrusted JSON, shown as JSON and made printable. Never String(): on a
 * hostile object that would run its "toString" member, or throw.
 */
export function describeJson(value: unknown, maxLength: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return printable(text ?? `(${typeof value})`, maxLength);
}
