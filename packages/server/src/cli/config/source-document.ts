import { extname } from 'node:path';
import { parseYaml, pathKey, YamlSyntaxError, type ValuePath } from './yaml-subset.ts';

/** A parsed configuration file that can say which line a value came from. */
export interface SourceDocument {
  readonly file: string;
  readonly value: unknown;
  /** `file:line` for the value at `path` (or its nearest located parent). */
  locate(path: ValuePath): string;
}

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

export function parseSourceDocument(file: string, text: string): SourceDocument {
  const extension = extname(file).toLowerCase();
  if (extension === '.json') return jsonDocument(file, text);
  if (extension === '.yaml' || extension === '.yml' || file === '-') return yamlDocument(file, text);
  throw new ConfigFileError(`${file}: unsupported file type "${extension}" (use .yaml, .yml or .json)`);
}

function yamlDocument(file: string, text: string): SourceDocument {
  try {
    const parsed = parseYaml(text);
    return { file, value: parsed.value, locate: locator(file, parsed.lineOf) };
  } catch (err) {
    if (err instanceof YamlSyntaxError) throw new ConfigFileError(`${file}:${err.line}: ${err.message.replace(/^line \d+: /, '')}`);
    throw err;
  }
}

function jsonDocument(file: string, text: string): SourceDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : 1;
    throw new ConfigFileError(`${file}:${line}: invalid JSON (${(err as Error).message})`);
  }
  const lines = jsonLines(text);
  return { file, value, locate: locator(file, (path) => lines.get(pathKey(path))) };
}

function locator(file: string, lineOf: (path: ValuePath) => number | undefined): (path: ValuePath) => string {
  return (path) => {
    for (let end = path.length; end >= 0; end--) {
      const line = lineOf(path.slice(0, end));
      if (line !== undefined) return `${file}:${line}`;
    }
    return `${file}:1`;
  };
}

const STRING = /"(?:[^"\\]|\\.)*"/y;
const LITERAL = /-?[0-9][0-9.eE+-]*|-?\.?[0-9][0-9.eE+-]*|true|false|null/y;

/** Line of every value in already-validated JSON text, keyed like the YAML parser's paths. */
function jsonLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  const skip = () => {
    while (at < text.length && /\s/.test(text[at]!)) if (text[at++] === '\n') line++;
  };
  const token = (pattern: RegExp) => {
    pattern.lastIndex = at;
    const match = pattern.exec(text)!;
    at += match[0].length;
    return match[0];
  };
  const value = (path: (string | number)[], depth: number): void => {
    if (depth > 64) return;
    skip();
    lines.set(pathKey(path), line);
    const char = text[at];
    if (char === '{' || char === '[') {
      at++;
      let index = 0;
      for (skip(); text[at] !== '}' && text[at] !== ']'; skip()) {
        if (char === '{') {
          const entryLine = line;
          const key = JSON.parse(token(STRING)) as string;
          skip();
          at++; // ':'
          value([...path, key], depth + 1);
          lines.set(pathKey([...path, key]), entryLine);
        } else {
          value([...path, index++], depth + 1);
        }
        skip();
        if (text[at] === ',') at++;
      }
      at++;
    } else if (char === '"') {
      token(STRING);
    } else {
      token(LITERAL);
    }
  };
  value([], 0);
  return lines;
}
