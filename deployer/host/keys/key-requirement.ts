/**
 * Which of a host's keys open what, as the Azure Functions host decides it, and the constant-time
 * check of a presented key. Pure: no I/O.
 */
import { KeyDigest } from '../../../shared/secrets/key-digest.js';
import { durableTaskSystemKeyName, type HostSecrets } from './host-secrets.js';

/**
 * - `anonymous`: no key.
 * - `function`: a host function key or the master key (authLevel `function`).
 * - `system`: a system key or the master key (authLevel `system`).
 * - `durable-task`: the `durabletask_extension` system key or the master key (the durable HTTP API).
 * - `admin`: the master key (authLevel `admin`, the host's `/admin/*`).
 */
export type KeyRequirement = 'anonymous' | 'function' | 'system' | 'durable-task' | 'admin';

/**
 * What an HTTP trigger's `authLevel` asks for. None at all is `function`, the Functions host's
 * default; a level the local host does not know (e.g. `user`) opens with the master key only.
 */
export function requirementOfAuthLevel(authLevel: unknown): KeyRequirement {
  if (authLevel === undefined || authLevel === null) return 'function';
  switch (String(authLevel).toLowerCase()) {
    case 'anonymous':
      return 'anonymous';
    case 'function':
      return 'function';
    case 'system':
      return 'system';
    default:
      return 'admin';
  }
}

export function acceptedKeys(secrets: HostSecrets, requirement: KeyRequirement): readonly string[] {
  switch (requirement) {
    case 'anonymous':
      return [];
    case 'function':
      return [secrets.masterKey, ...Object.values(secrets.functionKeys)];
    case 'system':
      return [secrets.masterKey, ...Object.values(secrets.systemKeys)];
    case 'durable-task': {
      const systemKey = secrets.systemKeys[durableTaskSystemKeyName];
      return systemKey === undefined ? [secrets.masterKey] : [secrets.masterKey, systemKey];
    }
    case 'admin':
      return [secrets.masterKey];
  }
}

/** Whether `presented` is one of `accepted`, each compared in constant time, every one of them. */
export function keyMatches(presented: string | undefined, accepted: readonly string[]): boolean {
  if (presented === undefined || presented === '') return false;
  let found = false;
  for (const candidate of accepted) {
    if (new KeyDigest(candidate).matches(presented)) found = true;
  }
  return found;
}

const howToSend = 'Send it in the x-functions-key header or the code query parameter.';

/** The 401 message: which key the route needs and how to send it. */
export function missingKeyMessage(requirement: Exclude<KeyRequirement, 'anonymous'>): string {
  switch (requirement) {
    case 'function':
      return `This function needs a key: one of the host's function keys (e.g. "default") or its master key. ${howToSend}`;
    case 'system':
      return `This function needs one of the host's system keys or its master key. ${howToSend}`;
    case 'durable-task':
      return `The durable HTTP API needs the host's "${durableTaskSystemKeyName}" system key or its master key. ${howToSend}`;
    case 'admin':
      return `This route needs the host's master key. ${howToSend}`;
  }
}
