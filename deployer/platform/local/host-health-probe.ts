import { request } from 'undici';
import { entityNamesOf } from '../function-bindings.js';

export interface HostProbe {
  readonly healthy: boolean;
  readonly functions: readonly string[];
  readonly entities: readonly string[];
  readonly detail: string;
}

interface FunctionListing {
  readonly name?: unknown;
  readonly isDisabled?: unknown;
  readonly config?: unknown;
}

/**
 * Asks a running local host whether it serves its app: `GET /admin/host/status` must say Running
 * and `GET /admin/functions` must list at least one enabled function. Bounded by `timeoutMs`.
 * Both need the host's master key (sent in a header, so that it is in no URL).
 */
export async function probeHost(url: string, timeoutMs: number, masterKey: string): Promise<HostProbe> {
  const signal = AbortSignal.timeout(timeoutMs);
  const get = (path: string): Promise<unknown> => getJson(`${url}${path}`, masterKey, signal);
  try {
    const status = await get('/admin/host/status');
    const state = (status as { state?: unknown } | undefined)?.state;
    if (state !== 'Running') return { healthy: false, functions: [], entities: [], detail: `The host answers but is not running (state ${JSON.stringify(state ?? null)}).` };
    const listings = await get('/admin/functions');
    if (!Array.isArray(listings)) return { healthy: false, functions: [], entities: [], detail: 'The host did not list its functions.' };
    const enabled = (listings as FunctionListing[]).filter((entry) => entry.isDisabled !== true && typeof entry.name === 'string');
    const disabled = (listings as FunctionListing[]).filter((entry) => entry.isDisabled === true).map((entry) => String(entry.name));
    const functions = enabled.map((entry) => entry.name as string);
    if (functions.length === 0) return { healthy: false, functions, entities: [], detail: 'The host runs but registered no functions: check package.json "main".' };
    const skipped = disabled.length === 0 ? '' : `; not loaded: ${disabled.join(', ')}`;
    const durable = (status as { durable?: { taskHubName?: unknown; ownsTaskHub?: unknown } }).durable;
    const waiting = durable?.ownsTaskHub === false ? `; it serves HTTP only while another process works its task hub ${String(durable.taskHubName)}` : '';
    const entities = entityNamesOf(enabled.map((entry) => ({ name: entry.name as string, config: entry.config })));
    return { healthy: true, functions, entities, detail: `Running with ${functions.length} function${functions.length === 1 ? '' : 's'}${skipped}${waiting}.` };
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    return { healthy: false, functions: [], entities: [], detail: `The host at ${url} does not answer: ${reason}.` };
  }
}

async function getJson(url: string, masterKey: string, signal: AbortSignal): Promise<unknown> {
  const response = await request(url, { method: 'GET', signal, headers: { 'x-functions-key': masterKey } });
  const text = await response.body.text();
  if (response.statusCode === 401) throw new Error(`GET ${new URL(url).pathname} refused the master key of the app's keys file (401); a host takes up rotated keys within a second`);
  if (response.statusCode !== 200) throw new Error(`GET ${new URL(url).pathname} answered ${response.statusCode}`);
  return JSON.parse(text) as unknown;
}
