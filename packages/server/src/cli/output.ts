import type { Readable, Writable } from 'node:stream';
import pc from 'picocolors';
import { renderDetail, renderTable, type Column } from './table.ts';

/** What a command touches outside itself; injected so commands run in-process in tests. */
export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Colors only on a terminal, and never when NO_COLOR is set (https://no-color.org: any non-empty value). */
export function colorsFor(stream: { isTTY?: boolean }, env: CliIo['env']): Colors {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return pc.createColors(stream.isTTY === true && !noColor);
}

/** Human text by default; `--json` prints exactly one JSON document for scripts. */
export class Output {
  readonly json: boolean;
  readonly color: Colors;
  private readonly io: CliIo;

  constructor(io: CliIo, options: { json?: boolean | undefined }) {
    this.io = io;
    this.json = options.json === true;
    this.color = colorsFor(io.stdout, io.env);
  }

  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Progress and warnings go to stderr so stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** One object: JSON as-is, or the listed fields as aligned `key: value` lines. */
  object(value: object, fields?: readonly string[]): void {
    if (this.json) return this.printJson(value);
    const record = value as Record<string, unknown>;
    const keys = fields ?? Object.keys(record);
    this.line(renderDetail(keys.filter((key) => key in record).map((key) => [key, record[key]] as const)));
  }

  list<Row>(rows: readonly Row[], columns: readonly Column<Row>[], jsonValue: unknown = rows): void {
    if (this.json) return this.printJson(jsonValue);
    if (rows.length === 0) return this.line(this.color.dim('(none)'));
    this.line(renderTable(columns, rows));
  }
}
