/** ARM's naming rules for the resources the fake keeps; each returns why a name is refused, if it is. */

/** Sites: 2–60 letters, digits and hyphens, no hyphen at either end. */
export function siteNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])$/.test(name)) return undefined;
  return `The name '${printable(name)}' is not valid: use 2 to 60 letters, digits and hyphens, not starting or ending with a hyphen.`;
}

/** Plans: 1–60 letters, digits and hyphens (ARM also takes Unicode letters; the fake does not). */
export function planNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9-]{1,60}$/.test(name)) return undefined;
  return `The plan name '${printable(name)}' is not valid: use 1 to 60 letters, digits and hyphens.`;
}

/** Resource groups: 1–90 letters, digits, '-', '_', '.', '(' and ')', not ending with '.'. */
export function resourceGroupNameProblem(name: string): string | undefined {
  if (name.length >= 1 && name.length <= 90 && /^[-\w.()]+$/.test(name) && !name.endsWith('.')) return undefined;
  return `Resource group name '${printable(name)}' is invalid. It must be 1 to 90 letters, digits, '-', '_', '.', '(' and ')', and must not end with '.'.`;
}

/** ARM treats "West Europe" and "westeurope" as one location. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is masked
  const masked = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return masked.length > 80 ? `${masked.slice(0, 80)}…` : masked;
}
