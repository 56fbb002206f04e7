/**
 * A small, strict YAML subset for configuration files (no YAML library is installed, by design).
 *
 * Supported: block mappings, block sequences (also `key:` followed by `- item` at the same
 * indentation), plain / 'single' / "double" quoted scalars, `|` literal blocks (`|-`, `|+`),
 * `#` comments, empty `[]` / `{}`, flat flow sequences of scalars (`[a, "b"]`), one leading `---`.
 * Everything else (anchors, aliases, tags, folded `>`, flow mappings, multi-line quoted strings,
 * several documents, tabs for indentation, duplicate keys, YAML-1.1 booleans such as `yes`) is
 * rejected with the line it is on, rather than guessed at.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** Path of a value inside the document: keys and sequence indexes. */
export type ValuePath = readonly (string | number)[];

export interface ParsedYaml {
  readonly value: YamlValue;
  /** 1-based line where the value at `path` starts (for mapping entries: the key's line). */
  lineOf(path: ValuePath): number | undefined;
}

export class YamlSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'YamlSyntaxError';
    this.line = line;
  }
}

const MAX_DEPTH = 64;
const MAX_LINES = 100_000;
const AMBIGUOUS_SCALARS = new Set([
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Yes',
  'No',
  'On',
  'Off',
  'YES',
  'NO',
  'ON',
  'OFF',
  'Y',
  'N',
  'True',
  'TRUE',
  'False',
  'FALSE',
  'Null',
  'NULL',
]);
const FORBIDDEN_PLAIN_START = new Set(['&', '*', '!', '%', '@', '`', '>', '|', '?', '{', '[', ']', '}', ',', '"', "'"]);

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

export function pathKey(path: ValuePath): string {
  return JSON.stringify(path);
}

export function parseYaml(source: string): ParsedYaml {
  const parser = new Parser(source);
  const value = parser.document();
  const lines = parser.lines;
  return { value, lineOf: (path) => lines.get(pathKey(path)) };
}

class Parser {
  readonly lines = new Map<string, number>();
  private readonly raw: string[];
  private index = 0;

  constructor(source: string) {
    this.raw = source.replace(/^\uFEFF/, '').split(/\r?\n/);
    if (this.raw.length > MAX_LINES) throw new YamlSyntaxError(MAX_LINES, `more than ${MAX_LINES} lines`);
  }

  document(): YamlValue {
    let first = this.peek();
    if (first !== null && first.indent === 0 && /^---\s*(#.*)?$/.test(first.text)) {
      this.index = first.number;
      first = this.peek();
    }
    if (first === null) return null;
    if (first.indent !== 0) throw new YamlSyntaxError(first.number, 'the document must start at column 1');
    let value: YamlValue;
    if (isSequenceItem(first.text) || splitEntry(first.text, first.number) !== null) {
      value = this.block(0, [], 0);
    } else {
      this.index = first.number;
      value = this.inlineValue(first.text, first.number, -1, []);
    }
    const rest = this.peek();
    if (rest !== null) {
      if (/^(---|\.\.\.)(\s|$)/.test(rest.text)) throw new YamlSyntaxError(rest.number, 'only one YAML document per file is supported');
      throw new YamlSyntaxError(rest.number, 'unexpected indentation or content after the document');
    }
    return value;
  }

  /** Next line with content (blank and comment-only lines skipped), without consuming it. */
  private peek(): Line | null {
    for (let i = this.index; i < this.raw.length; i++) {
      const text = this.raw[i]!;
      const indentMatch = /^[ \t]*/.exec(text)![0];
      const content = text.slice(indentMatch.length);
      if (content === '' || content.startsWith('#')) continue;
      if (indentMatch.includes('\t')) throw new YamlSyntaxError(i + 1, 'tabs are not allowed for indentation; use spaces');
      return { number: i + 1, indent: indentMatch.length, text: content.trimEnd() };
    }
    return null;
  }

  private block(indent: number, path: ValuePath, depth: number): YamlValue {
    if (depth > MAX_DEPTH) throw new YamlSyntaxError(this.peek()?.number ?? 0, `nesting deeper than ${MAX_DEPTH} levels`);
    const line = this.peek()!;
    return isSequenceItem(line.text) ? this.sequence(indent, path, depth, line) : this.mapping(indent, path, depth, line);
  }

  private sequence(indent: number, path: ValuePath, depth: number, first: Line): YamlValue[] {
    const items: YamlValue[] = [];
    let line: Line | null = first;
    while (line !== null && line.indent === indent && isSequenceItem(line.text)) {
      const itemPath = [...path, items.length];
      this.lines.set(pathKey(itemPath), line.number);
      const rest = line.text.slice(1).replace(/^ +/, '');
      this.index = line.number;
      if (rest === '' || rest.startsWith('#')) {
        items.push(this.nested(indent, itemPath, depth, line.number));
      } else if (isSequenceItem(rest) || splitEntry(rest, line.number) !== null) {
        // "- key: value" / "- - x": the item is a block whose first line starts after the dash.
        const innerIndent = indent + (line.text.length - rest.length);
        this.index = line.number - 1;
        this.raw[this.index] = ' '.repeat(innerIndent) + rest;
        items.push(this.block(innerIndent, itemPath, depth + 1));
      } else {
        items.push(this.inlineValue(rest, line.number, indent, itemPath));
      }
      line = this.peek();
    }
    this.rejectStrayIndent(line, indent);
    return items;
  }

  private mapping(indent: number, path: ValuePath, depth: number, first: Line): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    let line: Line | null = first;
    while (line !== null && line.indent === indent && !isSequenceItem(line.text)) {
      const entry = splitEntry(line.text, line.number);
      if (/^(---|\.\.\.)(\s|$)/.test(line.text)) throw new YamlSyntaxError(line.number, 'only one YAML document per file is supported');
      if (entry === null) throw new YamlSyntaxError(line.number, `expected "key: value", found ${preview(line.text)}`);
      if (Object.prototype.hasOwnProperty.call(result, entry.key)) throw new YamlSyntaxError(line.number, `duplicate key "${entry.key}"`);
      if (entry.key === '__proto__') throw new YamlSyntaxError(line.number, 'the key "__proto__" is not allowed');
      const entryPath = [...path, entry.key];
      this.lines.set(pathKey(entryPath), line.number);
      this.index = line.number;
      const rest = entry.rest;
      if (rest === '' || rest.startsWith('#')) {
        const next = this.peek();
        // "key:" followed by "- item" at the same indentation is a common YAML style.
        if (next !== null && next.indent === indent && isSequenceItem(next.text)) result[entry.key] = this.sequence(indent, entryPath, depth + 1, next);
        else result[entry.key] = this.nested(indent, entryPath, depth, line.number);
      } else {
        result[entry.key] = this.inlineValue(rest, line.number, indent, entryPath);
      }
      line = this.peek();
    }
    if (line !== null && line.indent === indent && isSequenceItem(line.text)) {
      throw new YamlSyntaxError(line.number, 'a sequence item cannot follow mapping keys at the same indentation');
    }
    this.rejectStrayIndent(line, indent);
    return result;
  }

  /** The value of "key:" / "-" with nothing after it: a deeper block, or null when there is none. */
  private nested(indent: number, path: ValuePath, depth: number, ownerLine: number): YamlValue {
    const next = this.peek();
    if (next === null || next.indent <= indent) return null;
    this.lines.set(pathKey(path), ownerLine);
    return this.block(next.indent, path, depth + 1);
  }

  private rejectStrayIndent(line: Line | null, indent: number): void {
    if (line !== null && line.indent > indent) throw new YamlSyntaxError(line.number, 'unexpected indentation');
  }

  private inlineValue(text: string, lineNumber: number, indent: number, path: ValuePath): YamlValue {
    if (/^[|>]/.test(text)) return this.literalBlock(text, lineNumber, indent);
    if (text.startsWith('[') || text.startsWith('{')) return flowValue(text, lineNumber, path, this.lines);
    return scalar(text, lineNumber);
  }

  private literalBlock(header: string, lineNumber: number, parentIndent: number): string {
    const match = /^\|([-+]?)\s*(#.*)?$/.exec(header);
    if (match === null) {
      throw new YamlSyntaxError(
        lineNumber,
        header.startsWith('>') ? 'folded blocks (>) are not supported; use a | literal block' : 'only "|", "|-" and "|+" block headers are supported',
      );
    }
    const chomp = match[1];
    const body: string[] = [];
    let blockIndent = -1;
    let i = this.index;
    for (; i < this.raw.length; i++) {
      const text = this.raw[i]!;
      if (text.trim() === '') {
        body.push('');
        continue;
      }
      const indent = /^ */.exec(text)![0].length;
      if (blockIndent === -1) {
        if (indent <= parentIndent) break;
        if (/^ *\t/.test(text)) throw new YamlSyntaxError(i + 1, 'tabs are not allowed for indentation; use spaces');
        blockIndent = indent;
      }
      if (indent < blockIndent) {
        if (indent > parentIndent) throw new YamlSyntaxError(i + 1, 'literal block line is less indented than the first line of the block');
        break;
      }
      body.push(text.slice(blockIndent));
    }
    // Trailing blank lines belong to the block only for chomping; the cursor stays after content.
    let end = body.length;
    while (end > 0 && body[end - 1] === '') end--;
    this.index = i - (body.length - end);
    const content = body.slice(0, end);
    if (content.length === 0) return '';
    const text = content.join('\n');
    if (chomp === '-') return text;
    // The split of a file's final newline is not a blank line of the block.
    const endsFile = i === this.raw.length && this.raw[this.raw.length - 1] === '';
    if (chomp === '+') return `${text}\n${'\n'.repeat(Math.max(0, body.length - end - (endsFile ? 1 : 0)))}`;
    return `${text}\n`;
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Splits `key: rest` (key plain or quoted); null when the text is not a mapping entry. */
function splitEntry(text: string, lineNumber: number): { key: string; rest: string } | null {
  if (text.startsWith('"') || text.startsWith("'")) {
    const { value, end } = quoted(text, lineNumber);
    const after = text.slice(end);
    if (!/^:( |$)/.test(after)) return null;
    return { key: value, rest: after.slice(1).trim() };
  }
  const colon = text.search(/:( |$)/);
  if (colon <= 0) return null;
  const key = text.slice(0, colon).trimEnd();
  if (key.includes(' #')) return null;
  if (FORBIDDEN_PLAIN_START.has(key[0]!) || key.startsWith('- '))
    throw new YamlSyntaxError(lineNumber, `unsupported key syntax ${preview(key)}; quote the key`);
  return { key, rest: text.slice(colon + 1).trim() };
}

function scalar(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('"') || text.startsWith("'")) {
    const { value, end } = quoted(text, lineNumber);
    const after = text.slice(end).trim();
    if (after !== '' && !after.startsWith('#')) throw new YamlSyntaxError(lineNumber, `unexpected text after the quoted string: ${preview(after)}`);
    return value;
  }
  const plain = stripComment(text).trim();
  if (FORBIDDEN_PLAIN_START.has(plain[0]!)) {
    throw new YamlSyntaxError(lineNumber, `${preview(plain)} starts with "${plain[0]}", which has a special meaning in YAML; put the value in quotes`);
  }
  if (/:( |$)/.test(plain)) throw new YamlSyntaxError(lineNumber, `${preview(plain)} contains ": "; put the value in quotes`);
  return typedPlain(plain, lineNumber);
}

function typedPlain(plain: string, lineNumber: number): YamlValue {
  if (plain === 'null' || plain === '~') return null;
  if (plain === 'true') return true;
  if (plain === 'false') return false;
  if (AMBIGUOUS_SCALARS.has(plain))
    throw new YamlSyntaxError(lineNumber, `"${plain}" means different things to different YAML parsers; write true/false/null or quote it`);
  if (/^[-+]?(0|[1-9]\d*)$/.test(plain)) {
    const number = Number(plain);
    if (!Number.isSafeInteger(number)) throw new YamlSyntaxError(lineNumber, `integer ${preview(plain)} is too large; quote it if it is text`);
    return number;
  }
  if (/^[-+]?0\d+$/.test(plain) || /^0[xo]/i.test(plain)) throw new YamlSyntaxError(lineNumber, `${preview(plain)} could be read as octal or hex; quote it`);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(plain)) return Number(plain);
  if (/^[-+]?\.(inf|nan)$/i.test(plain)) throw new YamlSyntaxError(lineNumber, `${plain} is not supported; quote it if it is text`);
  return plain;
}

function stripComment(text: string): string {
  const at = text.search(/\s#/);
  return at === -1 ? text : text.slice(0, at);
}

/** A quoted scalar starting at text[0]; it must close on the same line. */
function quoted(text: string, lineNumber: number): { value: string; end: number } {
  const quote = text[0]!;
  if (quote === "'") {
    let value = '';
    for (let i = 1; i < text.length; i++) {
      if (text[i] !== "'") {
        value += text[i];
        continue;
      }
      if (text[i + 1] === "'") {
        value += "'";
        i++;
        continue;
      }
      return { value, end: i + 1 };
    }
    throw new YamlSyntaxError(lineNumber, 'unterminated single-quoted string (quoted strings must end on the same line; use | for long text)');
  }
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === '"') {
      const body = text.slice(0, i + 1);
      try {
        return { value: JSON.parse(body) as string, end: i + 1 };
      } catch {
        throw new YamlSyntaxError(lineNumber, 'unsupported escape in double-quoted string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      }
    }
  }
  throw new YamlSyntaxError(lineNumber, 'unterminated double-quoted string (quoted strings must end on the same line; use | for long text)');
}

/** `[]`, `{}` and flat `[a, "b", 3]`. */
function flowValue(text: string, lineNumber: number, path: ValuePath, lines: Map<string, number>): YamlValue {
  const body = stripComment(text).trim();
  if (body === '{}') return {};
  if (body.startsWith('{')) throw new YamlSyntaxError(lineNumber, 'flow mappings ({a: b}) are not supported; use a block mapping');
  if (!body.endsWith(']')) throw new YamlSyntaxError(lineNumber, 'a flow sequence must close with "]" on the same line');
  const inner = body.slice(1, -1).trim();
  if (inner === '') return [];
  const items: YamlValue[] = [];
  let rest = inner;
  while (true) {
    let itemText: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const { end } = quoted(rest, lineNumber);
      itemText = rest.slice(0, end);
      rest = rest.slice(end).trim();
    } else {
      const comma = rest.indexOf(',');
      itemText = (comma === -1 ? rest : rest.slice(0, comma)).trim();
      rest = comma === -1 ? '' : rest.slice(comma);
    }
    if (itemText === '' || /^[[{]/.test(itemText)) throw new YamlSyntaxError(lineNumber, 'flow sequences may only hold scalars, separated by commas');
    lines.set(pathKey([...path, items.length]), lineNumber);
    items.push(scalar(itemText, lineNumber));
    if (rest === '') break;
    if (!rest.startsWith(',')) throw new YamlSyntaxError(lineNumber, `expected "," in flow sequence, found ${preview(rest)}`);
    rest = rest.slice(1).trim();
  }
  return items;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
