/**
 * JSON.parse keeps the last of duplicate member names, so `{"sub":"a","sub":"b"}` can mean one
 * thing to the issuer that signed it and another to us. JWT segments are parsed with this
 * instead: the same result as JSON.parse, or null when any object repeats a member name.
 */
export function parseJsonWithoutDuplicates(text: string): unknown | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return hasDuplicateMembers(text) ? null : value;
}

/** Scans valid JSON text; tracks member names per open object. */
function hasDuplicateMembers(text: string): boolean {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        const seen = stack[stack.length - 1] as Set<string>;
        if (seen.has(name)) return true;
        seen.add(name);
        expectKey = false;
      }
      i = end;
    }
  }
  return false;
}
