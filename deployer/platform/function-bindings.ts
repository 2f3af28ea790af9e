/**
 * What a Functions host's function listing (the local host's `GET /admin/functions`, ARM's
 * `sites/functions`) says about durable entities: a function whose `config.bindings` hold an
 * `entityTrigger` is an entity, named by the function's name, lower case as entity ids carry it.
 */
export interface ListedFunction {
  readonly name: string;
  readonly config?: unknown;
}

export function entityNamesOf(functions: readonly ListedFunction[]): string[] {
  const names = functions.filter((fn) => bindingsOf(fn.config).some((binding) => String(binding['type'] ?? '').toLowerCase() === 'entitytrigger'));
  return [...new Set(names.map((fn) => fn.name.toLowerCase()))].sort();
}

function bindingsOf(config: unknown): readonly Record<string, unknown>[] {
  const bindings = (config as { bindings?: unknown } | null | undefined)?.bindings;
  return Array.isArray(bindings) ? bindings.filter((binding): binding is Record<string, unknown> => typeof binding === 'object' && binding !== null) : [];
}
