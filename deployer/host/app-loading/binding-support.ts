/**
 * Which of a function's bindings the local host can serve. A function with any unsupported
 * binding is not loaded (as the Functions host leaves a function whose binding extension is
 * missing in error), and the rest of the app runs. Pure: no I/O.
 */
import type { FunctionDescriptor } from '../host-contracts.js';

export interface UnsupportedBinding {
  readonly function: string;
  readonly bindingType: string;
}

const supportedTriggers = new Set(['httptrigger', 'orchestrationtrigger', 'activitytrigger', 'entitytrigger']);
const supportedInputs = new Set(['durableclient', 'orchestrationclient']);

export const durableTriggerTypes: ReadonlySet<string> = new Set(['orchestrationTrigger', 'activityTrigger', 'entityTrigger']);

export function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

export function isDurableClientType(type: unknown): boolean {
  return typeof type === 'string' && supportedInputs.has(type.toLowerCase());
}

/** The function's bindings that the local host cannot serve, in registration order. */
export function unsupportedBindingsOf(fn: FunctionDescriptor): UnsupportedBinding[] {
  const unsupported: UnsupportedBinding[] = [];
  const isHttp = fn.triggerType.toLowerCase() === 'httptrigger';
  for (const binding of Object.values(fn.bindings)) {
    const type = typeof binding['type'] === 'string' ? binding['type'] : '(no type)';
    const lower = type.toLowerCase();
    let supported: boolean;
    if (isTriggerType(type)) supported = supportedTriggers.has(lower);
    else if (binding['direction'] === 'out') supported = lower === 'http' && isHttp;
    else supported = supportedInputs.has(lower);
    if (!supported) unsupported.push({ function: fn.name, bindingType: type });
  }
  return unsupported;
}

/** The function's trigger type, or undefined when it has none (or several, which the host refuses). */
export function triggerTypeOf(bindings: Readonly<Record<string, Readonly<Record<string, unknown>>>>): string | undefined {
  const triggers = Object.values(bindings)
    .map((binding) => binding['type'])
    .filter((type): type is string => typeof type === 'string' && isTriggerType(type));
  return triggers.length === 1 ? triggers[0] : undefined;
}
