import { RouterError } from '../../../shared/errors/router-error.js';
import { createAdminClient, type GlobalOptions } from '../global-options.js';
import { renderInstanceTable, type ListedInstance } from '../output/instance-table.js';

export interface InstancesCommandOptions {
  readonly version?: string | undefined;
  readonly status?: string | undefined;
  readonly name?: string | undefined;
  readonly createdFrom?: string | undefined;
  readonly createdTo?: string | undefined;
  readonly top: string;
  readonly all?: boolean | undefined;
  readonly continuationToken?: string | undefined;
}

interface InstancesAnswer {
  readonly instances: readonly ListedInstance[];
  readonly continuationToken: string | null;
}

/** The router's own maximum page size. */
const maxPageSize = 1000;

/**
 * Lists instances across versions. The router answers in pages: this reads pages (following the
 * continuation token) until it has `--top` instances, or, with `--all`, until there are no more.
 */
export async function runInstancesCommand(options: InstancesCommandOptions, global: GlobalOptions): Promise<void> {
  const wanted = options.all === true ? Number.POSITIVE_INFINITY : count(options.top);
  const client = await createAdminClient(global);
  const instances: ListedInstance[] = [];
  let token = options.continuationToken ?? null;
  do {
    const query = new URLSearchParams();
    for (const [name, value] of [['version', options.version], ['status', options.status], ['name', options.name], ['createdFrom', options.createdFrom], ['createdTo', options.createdTo]] as const) {
      if (value !== undefined) query.set(name, value);
    }
    query.set('top', String(Math.min(maxPageSize, wanted - instances.length)));
    if (token !== null) query.set('continuationToken', token);
    const page = await client.get<InstancesAnswer>(`/admin/instances?${query}`);
    instances.push(...page.instances);
    token = page.continuationToken;
  } while (token !== null && instances.length < wanted);
  process.stdout.write(global.output === 'json'
    ? `${JSON.stringify({ instances, continuationToken: token }, null, 2)}\n`
    : renderInstanceTable(instances, token));
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new RouterError('INVALID_REQUEST', `--top must be a whole number of instances, at least 1; not "${value}".`);
  return parsed;
}
