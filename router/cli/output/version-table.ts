/** Renders the admin API's version list as a plain-text table for people. */

export interface VersionListing {
  readonly current: string | null;
  readonly versions: readonly {
    readonly routeKey: string;
    readonly state: string;
    readonly versions: readonly string[];
    readonly latest: string;
    readonly app: { readonly name: string; readonly url: string };
    readonly strategy?: string | null;
    readonly createdAt: string;
    readonly instances?: { readonly running: number; readonly pending: number } | null;
  }[];
}

export function renderVersionTable(listing: VersionListing): string {
  if (listing.versions.length === 0) return 'No versions registered yet.\n';
  const header = ['', 'VERSION', 'STATE', 'STRATEGY', 'LATEST', 'DEPLOYED', 'APP', 'URL', 'RUNNING', 'PENDING'];
  const rows = listing.versions.map((v) => [
    v.routeKey === listing.current ? '*' : '',
    v.routeKey,
    v.state,
    v.strategy ?? 'app-routing',
    v.latest,
    v.versions.join(', '),
    v.app.name,
    v.app.url,
    v.instances ? String(v.instances.running) : '-',
    v.instances ? String(v.instances.pending) : '-',
  ]);
  return `${renderTable(header, rows)}\n* current version\n`;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
