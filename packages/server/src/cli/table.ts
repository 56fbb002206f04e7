/** Plain-text tables for terminals; pure so formatting is tested in-process. */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | null | undefined;
}

const MAX_CELL_WIDTH = 60;

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => visibleLength(line[i]!))));
  const format = (line: readonly string[]) =>
    line
      .map((text, i) => (i === line.length - 1 ? text : text + ' '.repeat(widths[i]! - visibleLength(text))))
      .join('  ')
      .trimEnd();
  return [format(columns.map((c) => c.header.toUpperCase())), ...cells.map(format)].join('\n');
}

// Colored cells carry escape codes that take no room on screen.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI_ESCAPE, '').length;
}

function cell(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const oneLine = value.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > MAX_CELL_WIDTH ? `${oneLine.slice(0, MAX_CELL_WIDTH - 1)}…` : oneLine;
}

/** `key: value` lines, keys aligned; nested values rendered as compact JSON. */
export function renderDetail(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${detailValue(value)}`.trimEnd()).join('\n');
}

function detailValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value.includes('\n') ? `\n  ${value.trimEnd().split('\n').join('\n  ')}` : value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
