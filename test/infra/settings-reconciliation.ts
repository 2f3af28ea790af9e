/**
 * Settings the code reads against settings the templates set, for one process. Every name read
 * is set, or listed with a reason; every name set is read, or listed as read by the platform; a
 * name in two places, or a listed name that is neither read nor set, is a problem too.
 */

/** Reasons by setting name. */
export type Reasons = Readonly<Record<string, string>>;

export interface Reconciliation {
  readonly process: string;
  /** What our code (and the app's host.json) reads. */
  readonly reads: readonly string[];
  /** What the templates set. */
  readonly set: readonly string[];
  /** Set by the templates, read by the platform (the Functions host, the Azure SDK), not by our code. */
  readonly readByPlatform: Reasons;
  /** Read by our code, deliberately not set by the templates: list name to reasons. */
  readonly notSet: Readonly<Record<string, Reasons>>;
}

export function reconciliationProblems(reconciliation: Reconciliation): string[] {
  const { process, reads, set, readByPlatform, notSet } = reconciliation;
  const problems: string[] = [];
  // Where each name is explained: the platform list, or one of the not-set lists.
  const lists = new Map<string, string[]>();
  const list = (name: string, where: string): void => {
    lists.set(name, [...(lists.get(name) ?? []), where]);
  };
  for (const name of Object.keys(readByPlatform)) list(name, 'listed as read by the platform');
  for (const [listName, reasons] of Object.entries(notSet)) for (const name of Object.keys(reasons)) list(name, `listed as ${listName}`);
  for (const [name, where] of lists) {
    if (where.length > 1) problems.push(`${process}: ${name} is ${where.join(' and ')}`);
  }
  for (const [listName, reasons] of Object.entries(notSet)) {
    for (const name of Object.keys(reasons)) if (set.includes(name)) problems.push(`${process}: ${name} is set by the templates and listed as ${listName}`);
  }
  for (const name of new Set(reads)) {
    if (!set.includes(name) && lists.get(name) === undefined) problems.push(`${process}: reads ${name}, which the templates do not set and no list explains`);
    else if (Object.hasOwn(readByPlatform, name)) problems.push(`${process}: ${name} is read by our code, not only by the platform`);
  }
  for (const name of set) {
    if (!reads.includes(name) && !Object.hasOwn(readByPlatform, name)) problems.push(`${process}: the templates set ${name}, which nothing reads`);
  }
  for (const name of Object.keys(readByPlatform)) {
    if (!set.includes(name)) problems.push(`${process}: ${name} is listed as read by the platform but the templates do not set it`);
  }
  for (const [list, reasons] of Object.entries(notSet)) {
    for (const [name, reason] of Object.entries(reasons)) {
      if (!reads.includes(name)) problems.push(`${process}: ${name} is listed as ${list} but is not read`);
      if (reason.trim() === '') problems.push(`${process}: ${name} is listed as ${list} without a reason`);
    }
  }
  for (const [name, reason] of Object.entries(readByPlatform)) {
    if (reason.trim() === '') problems.push(`${process}: ${name} is listed as read by the platform without a reason`);
  }
  return problems;
}
