/**
 * Orchestration versioning (host.json `versionMatchStrategy` / `versionFailureStrategy`): whether
 * this app may run an instance stamped with a given version. Pure.
 */
import type { VersionFailureStrategy, VersionMatchStrategy } from '../configuration/durable-task-settings.js';

export type VersionVerdict = { readonly ok: true } | { readonly ok: false; readonly action: VersionFailureStrategy; readonly message: string };

export function checkVersion(
  instanceVersion: string,
  defaultVersion: string,
  match: VersionMatchStrategy,
  failure: VersionFailureStrategy,
): VersionVerdict {
  if (match === 'None') return { ok: true };
  const order = compareVersions(instanceVersion, defaultVersion);
  if (match === 'Strict' ? order === 0 : order <= 0) return { ok: true };
  const rule = match === 'Strict' ? 'exactly' : 'at most';
  return {
    ok: false,
    action: failure,
    message: `The orchestration version "${instanceVersion}" does not match this app's version "${defaultVersion}" `
      + `(versionMatchStrategy ${match} needs ${rule} "${defaultVersion}").`,
  };
}

/** Compares dotted numeric versions numerically (like System.Version); anything else as text, ignoring case. */
export function compareVersions(a: string, b: string): number {
  const numeric = /^\d+(\.\d+){0,3}$/;
  if (numeric.test(a) && numeric.test(b)) {
    const left = a.split('.').map(Number);
    const right = b.split('.').map(Number);
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const difference = (left[i] ?? -1) - (right[i] ?? -1);
      if (difference !== 0) return Math.sign(difference);
    }
    return 0;
  }
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
