import { AdminClient } from '../admin-client.js';
import { resolveAdminKey, type GlobalOptions } from '../global-options.js';
import { renderVersionTable, type VersionListing } from '../output/version-table.js';

export async function runVersionsCommand(options: GlobalOptions): Promise<void> {
  const client = new AdminClient({ url: options.url, adminKey: await resolveAdminKey(options) });
  const listing = await client.get<VersionListing>('/admin/versions');
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(listing, null, 2)}\n` : renderVersionTable(listing));
}
