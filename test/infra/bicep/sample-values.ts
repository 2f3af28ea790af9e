/**
 * A value for a Bicep expression as a deployment could give it: plain strings and numbers as they
 * are, interpolations part by part, params from their sample values, vars from their own
 * expressions, and what only Azure knows (keys, host names, ids) from a table of samples. An
 * expression with no sample fails, naming it.
 */
import { stringParts } from './bicep-text.js';

export interface SampleContext {
  readonly params: ReadonlyMap<string, string>;
  readonly vars: ReadonlyMap<string, string>;
  /** Sample values of expressions only Azure can evaluate, by their exact text. */
  readonly samples: Readonly<Record<string, string>>;
}

export function sampleValue(expression: string, context: SampleContext, resolving: readonly string[] = []): string {
  const text = expression.trim();
  const parts = stringParts(text);
  if (parts !== undefined) return parts.map((part) => ('text' in part ? part.text : sampleValue(part.interpolation, context, resolving))).join('');
  if (/^\d+$/.test(text)) return text;
  const param = context.params.get(text);
  if (param !== undefined) return param;
  const variable = context.vars.get(text);
  if (variable !== undefined) {
    if (resolving.includes(text)) throw new Error(`the var ${text} refers to itself`);
    return sampleValue(variable, context, [...resolving, text]);
  }
  const stringOf = /^string\((.+)\)$/.exec(text);
  if (stringOf?.[1] !== undefined) return sampleValue(stringOf[1], context, resolving);
  const sample = context.samples[text];
  if (sample !== undefined) return sample;
  throw new Error(`no sample value for the Bicep expression ${text}: add one to the test's samples`);
}
