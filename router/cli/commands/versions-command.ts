import { createAdminClient, type GlobalOptions } from '../global-options.js';
import { renderVersionTable, type VersionListing } from '../output/version-table.js';

export async function runVersionsCommand(options: GlobalOptions): Promise<void> {
  const client = await createAdminClient(options);
  const listing = await client.get<VersionListing>('/admin/versions');
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(listing, null, 2)}\n` : renderVersionTable(listing));
}
