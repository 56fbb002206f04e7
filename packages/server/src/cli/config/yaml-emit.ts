import type { YamlValue } from './yaml-subset.ts';

/**
 * Writes values in exactly the subset `parseYaml` reads: plain scalars only where they read back
 * as the same string, double quotes otherwise, `|` blocks for multi-line text such as PEM.
 */
export function emitYaml(value: YamlValue): string {
  if (!isNonEmptyCollection(value)) return `${scalarText(value)}\n`;
  const lines: string[] = [];
  emitBlock(value, 0, lines);
  return `${lines.join('\n')}\n`;
}

function emitBlock(value: YamlValue[] | { [key: string]: YamlValue }, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isNonEmptyCollection(item)) {
        // "- " then the item's first line; its other lines are indented past the dash.
        const inner: string[] = [];
        emitBlock(item, indent + 2, inner);
        lines.push(`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1));
      } else {
        pushInline(`${pad}-`, item, indent + 2, lines);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const head = `${pad}${keyText(key)}:`;
    if (isNonEmptyCollection(item)) {
      lines.push(head);
      emitBlock(item, indent + 2, lines);
    } else {
      pushInline(head, item, indent + 2, lines);
    }
  }
}

function pushInline(head: string, value: YamlValue, childIndent: number, lines: string[]): void {
  if (typeof value === 'string' && value.includes('\n') && literalSafe(value)) {
    const body = value.replace(/\n+$/, '');
    const trailing = value.length - body.length;
    const header = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
    lines.push(`${head} ${header}`, ...body.split('\n').map((line) => (line === '' ? '' : `${' '.repeat(childIndent)}${line}`)));
    for (let i = 1; i < trailing; i++) lines.push('');
    return;
  }
  lines.push(`${head} ${scalarText(value)}`);
}

function isNonEmptyCollection(value: YamlValue): value is YamlValue[] | { [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0);
}

/** A literal block cannot start with spaces (that would need an indentation indicator) or hold tabs/CR. */
function literalSafe(text: string): boolean {
  return !/^[ \n]/.test(text) && !/[\t\r]/.test(text) && !/[ ]\n|[ ]$/.test(text.replace(/\n+$/, ''));
}

function scalarText(value: YamlValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return plainSafe(value) ? value : JSON.stringify(value);
}

function keyText(key: string): string {
  return plainSafe(key) ? key : JSON.stringify(key);
}

const RESERVED = /^(null|~|true|false|yes|no|on|off|y|n)$/i;

/** Conservative: letters, digits and a few punctuation marks, never number- or keyword-like. */
function plainSafe(text: string): boolean {
  if (text === '' || RESERVED.test(text)) return false;
  if (!/^[A-Za-z0-9_./][A-Za-z0-9_./:@+=,-]*$/.test(text)) return false;
  if (/:$/.test(text) || /^[-+.]?\d/.test(text) || /^\.(inf|nan)$/i.test(text)) return false;
  return true;
}
