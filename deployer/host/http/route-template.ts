/**
 * ASP.NET Core route templates as Azure Functions HTTP triggers use them: literal segments
 * (matched case-insensitively), `{name}`, `{name?}`, `{name=default}`, constraints such as
 * `{id:int}` or `{code:regex(^[a-z]{{2}}$)}`, catch-alls `{*rest}` / `{**rest}` in the last
 * segment, and complex segments like `{file}.{ext?}`. Pure: no I/O.
 */
import { RouterError } from '../../../shared/errors/router-error.js';

interface LiteralPart {
  readonly kind: 'literal';
  readonly text: string;
}

interface ParameterPart {
  readonly kind: 'parameter';
  readonly name: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly RouteConstraint[];
}

type SegmentPart = LiteralPart | ParameterPart;

interface RouteSegment {
  readonly parts: readonly SegmentPart[];
}

export interface RouteConstraint {
  readonly source: string;
  test(value: string): boolean;
}

export interface RouteTemplate {
  readonly source: string;
  readonly segments: readonly RouteSegment[];
  readonly parameterNames: readonly string[];
}

function invalidTemplate(template: string, reason: string): RouterError {
  return new RouterError('INVALID_CONFIGURATION', `The route template "${template}" is not valid: ${reason}.`, {
    details: { route: template },
  });
}

/** Splits on `/` outside parameters (a regex constraint may contain `/`); `{{` and `}}` are escapes. */
function splitSegments(template: string): string[] {
  const segments: string[] = [];
  let inParameter = false;
  let current = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    const pair = ch + (template[i + 1] ?? '');
    if (pair === '{{' || pair === '}}') {
      current += pair;
      i++;
    } else if (ch === '{' && !inParameter) {
      inParameter = true;
      current += ch;
    } else if (ch === '}' && inParameter) {
      inParameter = false;
      current += ch;
    } else if (ch === '/' && !inParameter) {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}

function parseSegment(template: string, segment: string): SegmentPart[] {
  const parts: SegmentPart[] = [];
  let literal = '';
  let i = 0;
  while (i < segment.length) {
    const ch = segment[i] as string;
    const pair = ch + (segment[i + 1] ?? '');
    if (pair === '{{' || pair === '}}') {
      literal += ch;
      i += 2;
    } else if (ch === '}') {
      throw invalidTemplate(template, `unmatched "}" in "${segment}"`);
    } else if (ch === '{') {
      const end = findParameterEnd(segment, i);
      if (end < 0) throw invalidTemplate(template, `unclosed "{" in "${segment}"`);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push(parseParameter(template, segment.slice(i + 1, end).replace(/\{\{/g, '{').replace(/\}\}/g, '}')));
      i = end + 1;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  return parts;
}

function findParameterEnd(segment: string, start: number): number {
  for (let i = start + 1; i < segment.length; i++) {
    const pair = (segment[i] ?? '') + (segment[i + 1] ?? '');
    if (pair === '{{' || pair === '}}') i++;
    else if (segment[i] === '}') return i;
  }
  return -1;
}

function parseParameter(template: string, body: string): ParameterPart {
  let rest = body;
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  const nameMatch = /^[^:=?]+/.exec(rest);
  const name = nameMatch?.[0]?.trim() ?? '';
  if (!name || /[{}/*]/.test(name)) throw invalidTemplate(template, `a parameter has no valid name in "{${body}}"`);
  rest = rest.slice(nameMatch?.[0]?.length ?? 0);

  const constraints: RouteConstraint[] = [];
  let optional = false;
  let defaultValue: string | undefined;
  while (rest.length > 0) {
    if (rest.startsWith(':')) {
      const { text, remainder } = readConstraint(rest.slice(1));
      constraints.push(compileConstraint(template, text));
      rest = remainder;
    } else if (rest === '?') {
      optional = true;
      rest = '';
    } else if (rest.startsWith('=')) {
      defaultValue = rest.slice(1);
      rest = '';
    } else {
      throw invalidTemplate(template, `unexpected "${rest}" in "{${body}}"`);
    }
  }
  if (optional && defaultValue !== undefined) {
    throw invalidTemplate(template, `"{${body}}" cannot be both optional and have a default`);
  }
  return { kind: 'parameter', name, optional, catchAll, defaultValue, constraints };
}

function readConstraint(text: string): { text: string; remainder: string } {
  let parens = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') parens++;
    else if (ch === ')') parens--;
    else if (parens === 0 && (ch === ':' || ch === '=' || (ch === '?' && i === text.length - 1))) {
      return { text: text.slice(0, i), remainder: text.slice(i) };
    }
  }
  return { text, remainder: '' };
}

const integerPattern = /^-?\d+$/;
const decimalPattern = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
function isGuid(value: string): boolean {
  const bare = value.startsWith('{') && value.endsWith('}') ? value.slice(1, -1) : value.startsWith('(') && value.endsWith(')') ? value.slice(1, -1) : value;
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(bare);
}

function numberArguments(template: string, name: string, args: string, count: number): number[] {
  const values = args.split(',').map((a) => a.trim());
  if (values.length !== count || values.some((v) => !integerPattern.test(v))) {
    throw invalidTemplate(template, `the constraint "${name}(${args})" needs ${count} integer argument(s)`);
  }
  return values.map(Number);
}

function compileConstraint(template: string, source: string): RouteConstraint {
  const call = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(source);
  if (!call) throw invalidTemplate(template, `the constraint "${source}" is not recognised`);
  const name = (call[1] as string).toLowerCase();
  const args = call[2];
  const make = (test: (value: string) => boolean): RouteConstraint => ({ source, test });
  switch (name) {
    case 'int':
      return make((v) => integerPattern.test(v) && Number(v) >= -(2 ** 31) && Number(v) < 2 ** 31);
    case 'long':
      return make((v) => integerPattern.test(v));
    case 'bool':
      return make((v) => /^(true|false)$/i.test(v));
    case 'decimal':
    case 'double':
    case 'float':
      return make((v) => decimalPattern.test(v));
    case 'guid':
      return make(isGuid);
    case 'datetime':
      return make((v) => !Number.isNaN(Date.parse(v)));
    case 'alpha':
      return make((v) => /^[a-z]*$/i.test(v));
    case 'required':
      return make((v) => v.length > 0);
    case 'nonfile':
      return make((v) => !/\.[^/]*$/.test(v));
    case 'file':
      return make((v) => /\.[^/]*$/.test(v));
    case 'min': {
      const [min] = numberArguments(template, name, args ?? '', 1) as [number];
      return make((v) => integerPattern.test(v) && Number(v) >= min);
    }
    case 'max': {
      const [max] = numberArguments(template, name, args ?? '', 1) as [number];
      return make((v) => integerPattern.test(v) && Number(v) <= max);
    }
    case 'range': {
      const [min, max] = numberArguments(template, name, args ?? '', 2) as [number, number];
      return make((v) => integerPattern.test(v) && Number(v) >= min && Number(v) <= max);
    }
    case 'length': {
      const values = (args ?? '').split(',');
      if (values.length === 1) {
        const [exact] = numberArguments(template, name, args ?? '', 1) as [number];
        return make((v) => v.length === exact);
      }
      const [min, max] = numberArguments(template, name, args ?? '', 2) as [number, number];
      return make((v) => v.length >= min && v.length <= max);
    }
    case 'minlength': {
      const [min] = numberArguments(template, name, args ?? '', 1) as [number];
      return make((v) => v.length >= min);
    }
    case 'maxlength': {
      const [max] = numberArguments(template, name, args ?? '', 1) as [number];
      return make((v) => v.length <= max);
    }
    case 'regex': {
      if (args === undefined) throw invalidTemplate(template, 'the regex constraint needs a pattern');
      let pattern: RegExp;
      try {
        pattern = new RegExp(args, 'i');
      } catch (error) {
        throw invalidTemplate(template, `the regex "${args}" does not compile (${(error as Error).message})`);
      }
      return make((v) => pattern.test(v));
    }
    default:
      throw invalidTemplate(template, `the constraint "${source}" is not supported`);
  }
}

/**
 * A segment of several parts matches right to left, each literal at its last occurrence (as
 * ASP.NET does: `{name}.{ext}` splits "archive.tar.gz" into "archive.tar" and "gz"). A trailing
 * optional parameter after a literal (`{name}.{ext?}`) may be absent together with that literal.
 */
function matchComplexSegment(parts: readonly SegmentPart[], value: string): Record<string, string> | undefined {
  const lower = value.toLowerCase();
  const attempt = (candidate: readonly SegmentPart[]): Record<string, string> | undefined => {
    const values: Record<string, string> = {};
    let end = value.length;
    let pending: ParameterPart | undefined;
    for (let i = candidate.length - 1; i >= 0; i--) {
      const part = candidate[i] as SegmentPart;
      if (part.kind === 'parameter') {
        pending = part;
        continue;
      }
      const literal = part.text.toLowerCase();
      if (pending === undefined) {
        if (!lower.slice(0, end).endsWith(literal)) return undefined;
        end -= literal.length;
        continue;
      }
      const at = end - 1 - literal.length < 0 ? -1 : lower.lastIndexOf(literal, end - 1 - literal.length);
      if (at < 0) return undefined;
      values[pending.name] = value.slice(at + literal.length, end);
      pending = undefined;
      end = at;
    }
    if (pending !== undefined) {
      if (end === 0) return undefined;
      values[pending.name] = value.slice(0, end);
    } else if (end !== 0) {
      return undefined;
    }
    return values;
  };
  const last = parts[parts.length - 1];
  return attempt(parts) ?? (last?.kind === 'parameter' && last.optional ? attempt(parts.slice(0, -2)) : undefined);
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const rawSegments = trimmed === '' ? [] : splitSegments(trimmed);
  const segments: RouteSegment[] = [];
  const names = new Set<string>();
  rawSegments.forEach((raw, index) => {
    if (raw === '') throw invalidTemplate(template, 'it contains an empty segment ("//")');
    const parts = parseSegment(template, raw);
    for (const [partIndex, part] of parts.entries()) {
      if (part.kind !== 'parameter') continue;
      const key = part.name.toLowerCase();
      if (names.has(key)) throw invalidTemplate(template, `the parameter "${part.name}" appears twice`);
      names.add(key);
      if (part.catchAll && (index !== rawSegments.length - 1 || parts.length > 1)) {
        throw invalidTemplate(template, `the catch-all "{*${part.name}}" must be the whole last segment`);
      }
      const previous = parts[partIndex - 1];
      if (parts.length > 1 && previous?.kind === 'parameter') {
        throw invalidTemplate(template, `two parameters in "${raw}" must be separated by a literal`);
      }
      if (parts.length > 1 && part.optional && (partIndex !== parts.length - 1 || previous?.kind !== 'literal')) {
        throw invalidTemplate(template, `an optional parameter in "${raw}" must come last, after a literal`);
      }
    }
    segments.push({ parts });
  });
  // Only trailing segments may be omitted, so an optional segment must be followed by optional ones.
  let seenOptional = false;
  for (const segment of segments) {
    const omittable = isOmittable(segment);
    if (seenOptional && !omittable) {
      throw invalidTemplate(template, 'an optional parameter can only be followed by optional parameters');
    }
    seenOptional ||= omittable;
  }
  return { source: template, segments, parameterNames: [...names] };
}

function singleParameter(segment: RouteSegment): ParameterPart | undefined {
  const [only] = segment.parts;
  return segment.parts.length === 1 && only?.kind === 'parameter' ? only : undefined;
}

function isOmittable(segment: RouteSegment): boolean {
  const parameter = singleParameter(segment);
  return parameter !== undefined && (parameter.optional || parameter.catchAll || parameter.defaultValue !== undefined);
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined; // a malformed escape cannot match any route: the caller answers 404
  }
}

function passes(parameter: ParameterPart, value: string): boolean {
  return parameter.constraints.every((constraint) => constraint.test(value));
}

/**
 * Matches a request path (already stripped of its query, still percent-encoded) against a template.
 * Returns the route values (decoded), or undefined when it does not match.
 */
export function matchRouteTemplate(template: RouteTemplate, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  const rawSegments = trimmed === '' ? [] : trimmed.split('/');
  const values: Record<string, string> = {};
  for (const [index, segment] of template.segments.entries()) {
    const raw = rawSegments[index];
    const parameter = singleParameter(segment);
    if (parameter?.catchAll) {
      const rest = rawSegments.slice(index).map(decodeSegment);
      if (rest.some((value) => value === undefined)) return undefined;
      const joined = rest.join('/');
      if (joined === '' && parameter.defaultValue === undefined) return values;
      const value = joined === '' ? (parameter.defaultValue as string) : joined;
      if (!passes(parameter, value)) return undefined;
      values[parameter.name] = value;
      return values;
    }
    if (raw === undefined) {
      if (!isOmittable(segment)) return undefined;
      if (parameter?.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
      continue;
    }
    const decoded = decodeSegment(raw);
    if (decoded === undefined || decoded === '') return undefined;
    if (parameter) {
      if (!passes(parameter, decoded)) return undefined;
      values[parameter.name] = decoded;
      continue;
    }
    if (segment.parts.length === 1) {
      const [literal] = segment.parts;
      if (literal?.kind !== 'literal' || literal.text.toLowerCase() !== decoded.toLowerCase()) return undefined;
      continue;
    }
    const captured = matchComplexSegment(segment.parts, decoded);
    if (!captured) return undefined;
    for (const part of segment.parts) {
      if (part.kind !== 'parameter') continue;
      const value = captured[part.name];
      if (value === undefined) continue;
      if (!passes(part, value)) return undefined;
      values[part.name] = value;
    }
  }
  return rawSegments.length > template.segments.length ? undefined : values;
}

/**
 * ASP.NET's inbound precedence, one digit per segment: literal 1, complex 2, constrained
 * parameter 3, parameter 4, catch-all 5. Lower digits win, compared segment by segment.
 */
export function routePrecedence(template: RouteTemplate): number[] {
  return template.segments.map((segment) => {
    const parameter = singleParameter(segment);
    if (!parameter) return segment.parts.length > 1 ? 2 : 1;
    if (parameter.catchAll) return 5;
    return parameter.constraints.length > 0 ? 3 : 4;
  });
}

export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const pa = routePrecedence(a);
  const pb = routePrecedence(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const difference = (pa[i] as number) - (pb[i] as number);
    if (difference !== 0) return difference;
  }
  if (pa.length !== pb.length) return pb.length - pa.length;
  return a.source.toLowerCase() < b.source.toLowerCase() ? -1 : a.source.toLowerCase() > b.source.toLowerCase() ? 1 : 0;
}
