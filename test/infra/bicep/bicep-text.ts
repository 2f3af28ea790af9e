/**
 * A strict reader of the few Bicep shapes infra/ uses, for tests that cannot run the Bicep compiler.
 * It reads declarations (param, var, resource, module) at the top level, literal lists of objects
 * and their `key: expression` properties; anything else where a shape is expected is a
 * BicepShapeError naming the line, so a template written another way fails loudly instead of
 * being read wrong.
 */

export class BicepShapeError extends Error {}

export interface Declaration {
  readonly kind: 'param' | 'var' | 'resource' | 'module' | 'output' | 'targetScope';
  readonly name: string;
  /** Decorators written above it, e.g. "@secure()". */
  readonly decorators: readonly string[];
  /** param: its type; resource and module: the quoted type or path. */
  readonly type: string;
  /** What follows "=" (param default, var value, resource or module body), if anything. */
  readonly value: string | undefined;
  /** Offsets of `value` in the source. */
  readonly valueStart: number;
  readonly line: number;
}

export interface Property {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export class BicepText {
  readonly #text: string;
  /** The text with comments and string contents blanked (interpolations kept), same offsets. */
  readonly #code: string;

  constructor(readonly file: string, text: string) {
    this.#text = text;
    this.#code = blankStringsAndComments(file, text);
  }

  declarations(): Declaration[] {
    const found: Declaration[] = [];
    let decorators: string[] = [];
    let index = 0;
    while (index < this.#code.length) {
      const lineEnd = indexOrEnd(this.#code, '\n', index);
      const line = this.#code.slice(index, lineEnd);
      const start = index + (line.length - line.trimStart().length);
      if (line.trim() === '') {
        index = lineEnd + 1;
        continue;
      }
      const statementEnd = this.#statementEnd(start);
      const statement = this.#slice(start, statementEnd);
      if (statement.startsWith('@')) {
        decorators.push(statement.trim());
      } else {
        found.push(this.#declaration(statement, start, decorators));
        decorators = [];
      }
      index = statementEnd + 1;
    }
    if (decorators.length > 0) throw this.#error(this.#code.length - 1, 'decorators without a declaration');
    return found;
  }

  /** The one `key:` inside [start, end) at any depth, or undefined; two of them is an error. */
  findProperty(key: string, start: number, end: number): { value: string; valueStart: number; line: number } | undefined {
    const pattern = new RegExp(`(^|[\\s{,])${key}\\s*:\\s*`, 'g');
    pattern.lastIndex = start;
    const hits: number[] = [];
    for (let match = pattern.exec(this.#code); match !== null && match.index < end; match = pattern.exec(this.#code)) {
      hits.push(match.index + match[0].length);
    }
    if (hits.length > 1) throw this.#error(hits[1] ?? start, `"${key}:" appears ${hits.length} times here; the test reads exactly one`);
    const valueStart = hits[0];
    if (valueStart === undefined) return undefined;
    const valueEnd = this.#expressionEnd(valueStart);
    return { value: this.#slice(valueStart, valueEnd), valueStart, line: lineOf(this.#text, valueStart) };
  }

  /** The objects of the literal list that starts at `open` ("["): each one's properties. */
  listOfObjects(open: number, what: string): Property[][] {
    if (this.#code[open] !== '[') throw this.#error(open, `${what} is not a literal list ("[ ... ]")`);
    const close = matching(this.#code, open, this.file, this.#text);
    const objects: Property[][] = [];
    let index = open + 1;
    for (;;) {
      index = skipBlank(this.#code, index);
      if (index >= close - 1) break;
      if (this.#code[index] !== '{') {
        throw this.#error(index, `${what}: expected an object "{ ... }" in the list, found "${this.#text.slice(index, index + 30).split('\n')[0]}"`);
      }
      const objectEnd = matching(this.#code, index, this.file, this.#text);
      objects.push(this.objectProperties(index, what));
      index = objectEnd;
    }
    return objects;
  }

  /** The `key: expression` properties of the object that starts at `open` ("{"). */
  objectProperties(open: number, what: string): Property[] {
    if (this.#code[open] !== '{') throw this.#error(open, `${what} is not an object`);
    const close = matching(this.#code, open, this.file, this.#text) - 1;
    const properties: Property[] = [];
    let index = open + 1;
    for (;;) {
      index = skipBlank(this.#code, index);
      if (index >= close) break;
      const key = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*/.exec(this.#code.slice(index, close));
      if (key === null) throw this.#error(index, `${what}: expected "key: value", found "${this.#text.slice(index, index + 30).split('\n')[0]}"`);
      const valueStart = index + key[0].length;
      const valueEnd = Math.min(this.#expressionEnd(valueStart), close);
      properties.push({ key: key[1] ?? '', value: this.#slice(valueStart, valueEnd), line: lineOf(this.#text, index) });
      index = valueEnd;
    }
    return properties;
  }

  /** Offset of the first "{" or "[" at or after `from` (a declaration's body). */
  bodyStart(from: number): number {
    const found = /[{[]/.exec(this.#code.slice(from));
    if (found === null) throw this.#error(from, 'expected a body');
    return from + found.index;
  }

  bodyEnd(open: number): number {
    return matching(this.#code, open, this.file, this.#text);
  }

  /** Source text of [from, to) without surrounding blanks and trailing comments. */
  #slice(from: number, to: number): string {
    const code = this.#code.slice(from, to);
    const lead = code.length - code.trimStart().length;
    return this.#text.slice(from + lead, from + code.trimEnd().length);
  }

  #declaration(statement: string, start: number, decorators: readonly string[]): Declaration {
    const line = lineOf(this.#text, start);
    const shape = /^(param|var|resource|module|output|targetScope)\b\s*([A-Za-z_][A-Za-z0-9_]*)?\s*('[^']*'|[A-Za-z_][A-Za-z0-9_]*)?\s*(existing\s*)?(=\s*)?/.exec(statement);
    if (shape === null) throw this.#error(start, `not a declaration this test knows: "${statement.split('\n')[0]}"`);
    const kind = shape[1] as Declaration['kind'];
    const valueOffset = shape[5] === undefined ? undefined : shape[0].length;
    if (kind === 'targetScope') {
      return { kind, name: 'targetScope', decorators, type: '', value: statement.slice(statement.indexOf('=') + 1).trim(), valueStart: start, line };
    }
    if (kind === 'var' && shape[2] !== undefined && shape[3] === undefined) {
      return { kind, name: shape[2], decorators, type: '', value: statement.slice(shape[0].length).trim(), valueStart: start + shape[0].length, line };
    }
    if (shape[2] === undefined || shape[3] === undefined) throw this.#error(start, `a ${kind} without a name and type: "${statement.split('\n')[0]}"`);
    const type = shape[3].replace(/^'|'$/g, '');
    return {
      kind,
      name: shape[2],
      decorators,
      type,
      value: valueOffset === undefined ? undefined : statement.slice(valueOffset).trim(),
      valueStart: valueOffset === undefined ? start : start + valueOffset,
      line,
    };
  }

  /** A top-level statement runs to the end of the line on which its brackets are balanced. */
  #statementEnd(start: number): number {
    return this.#expressionEnd(start, false);
  }

  /** An expression ends at a newline or comma outside brackets (or at a closing bracket of its container). */
  #expressionEnd(start: number, stopAtComma = true): number {
    let depth = 0;
    for (let index = start; index < this.#code.length; index += 1) {
      const c = this.#code[index];
      if (c === '{' || c === '[' || c === '(') depth += 1;
      else if (c === '}' || c === ']' || c === ')') {
        if (depth === 0) return index;
        depth -= 1;
      } else if (depth === 0 && (c === '\n' || (stopAtComma && c === ','))) return index;
    }
    return this.#code.length;
  }

  #error(offset: number, message: string): BicepShapeError {
    return new BicepShapeError(`${this.file}:${lineOf(this.#text, offset)}: ${message}`);
  }
}

/** The content of a plain string literal ('...' without interpolation), else undefined. */
export function plainString(expression: string): string | undefined {
  const match = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(expression.trim());
  return match?.[1]?.replace(/\\(.)/g, '$1');
}

/** The parts of a string literal: text and `${...}` interpolations, else undefined when not one string. */
export function stringParts(expression: string): Array<{ text: string } | { interpolation: string }> | undefined {
  const trimmed = expression.trim();
  if (!trimmed.startsWith("'") || trimmed.startsWith("'''")) return undefined;
  const code = blankStringsAndComments('expression', trimmed);
  const close = code.indexOf("'", 1);
  if (close !== trimmed.length - 1) return undefined;
  const parts: Array<{ text: string } | { interpolation: string }> = [];
  let index = 1;
  let text = '';
  while (index < close) {
    if (trimmed[index] === '\\') {
      text += trimmed[index + 1] ?? '';
      index += 2;
    } else if (trimmed.startsWith('${', index)) {
      const end = matching(code, index + 1, 'expression', trimmed);
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ interpolation: trimmed.slice(index + 2, end - 1) });
      index = end;
    } else {
      text += trimmed[index];
      index += 1;
    }
  }
  if (text !== '') parts.push({ text });
  return parts;
}

function blankStringsAndComments(file: string, text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number): void => {
    for (let index = from; index < to; index += 1) if (out[index] !== '\n') out[index] = ' ';
  };
  const fail = (offset: number, message: string): never => {
    throw new BicepShapeError(`${file}:${lineOf(text, offset)}: ${message}`);
  };
  const code = (start: number, interpolation: boolean): number => {
    let depth = 0;
    let index = start;
    while (index < text.length) {
      if (text.startsWith('//', index)) {
        const end = indexOrEnd(text, '\n', index);
        blank(index, end);
        index = end;
      } else if (text.startsWith('/*', index)) {
        const end = text.indexOf('*/', index + 2);
        if (end < 0) fail(index, 'a comment is not closed');
        blank(index, end + 2);
        index = end + 2;
      } else if (text.startsWith("'''", index)) {
        const end = text.indexOf("'''", index + 3);
        if (end < 0) fail(index, 'a multi-line string is not closed');
        blank(index + 3, end);
        index = end + 3;
      } else if (text[index] === "'") {
        index = string(index + 1);
      } else {
        const c = text[index];
        if (interpolation && c === '{') depth += 1;
        if (interpolation && c === '}') {
          if (depth === 0) return index + 1;
          depth -= 1;
        }
        index += 1;
      }
    }
    if (interpolation) fail(start, 'an interpolation is not closed');
    return index;
  };
  const string = (start: number): number => {
    let index = start;
    while (index < text.length) {
      const c = text[index];
      if (c === '\\') {
        blank(index, index + 2);
        index += 2;
      } else if (c === "'") {
        return index + 1;
      } else if (c === '$' && text[index + 1] === '{') {
        index = code(index + 2, true);
      } else {
        if (c === '\n') fail(index, 'a string is not closed on its line');
        out[index] = ' ';
        index += 1;
      }
    }
    return fail(start, 'a string is not closed');
  };
  code(0, false);
  return out.join('');
}

/** Offset just past the bracket that closes the one at `open`, in blanked code. */
function matching(code: string, open: number, file: string, text: string): number {
  const closers: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const expected: string[] = [];
  for (let index = open; index < code.length; index += 1) {
    const c = code[index] ?? '';
    const closer = closers[c];
    if (closer !== undefined) expected.push(closer);
    else if (c === '}' || c === ']' || c === ')') {
      if (expected.pop() !== c) throw new BicepShapeError(`${file}:${lineOf(text, index)}: "${c}" does not close what is open`);
      if (expected.length === 0) return index + 1;
    }
  }
  throw new BicepShapeError(`${file}:${lineOf(text, open)}: "${code[open]}" is never closed`);
}

function skipBlank(code: string, index: number): number {
  let at = index;
  while (at < code.length && /[\s,]/.test(code[at] ?? '')) at += 1;
  return at;
}

function indexOrEnd(text: string, search: string, from: number): number {
  const found = text.indexOf(search, from);
  return found < 0 ? text.length : found;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
