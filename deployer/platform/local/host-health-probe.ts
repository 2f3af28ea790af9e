import { request } from 'undici';

export interface HostProbe {
  readonly healthy: boolean;
  readonly functions: readonly string[];
  readonly detail: string;
}

interface FunctionListing {
  readonly name?: unknown;
  readonly isDisabled?: unknown;
}

/**
 * Asks a running local host whether it serves its app: `GET /admin/host/status` must say Running
 * and `GET /admin/functions` must list at least one enabled function. Bounded by `timeoutMs`.
 */
export async function probeHost(url: string, timeoutMs: number): Promise<HostProbe> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const status = await getJson(`${url}/admin/host/status`, signal);
    const state = (status as { state?: unknown } | undefined)?.state;
    if (state !== 'Running') return { healthy: false, functions: [], detail: `The host answers but is not running (state ${JSON.stringify(state ?? null)}).` };
    const listings = await getJson(`${url}/admin/functions`, signal);
    if (!Array.isArray(listings)) return { healthy: false, functions: [], detail: 'The host did not list its functions.' };
    const enabled = (listings as FunctionListing[]).filter((entry) => entry.isDisabled !== true && typeof entry.name === 'string');
    const disabled = (listings as FunctionListing[]).filter((entry) => entry.isDisabled === true).map((entry) => String(entry.name));
    const functions = enabled.map((entry) => entry.name as string);
    if (functions.length === 0) return { healthy: false, functions, detail: 'The host runs but registered no functions: check package.json "main".' };
    const skipped = disabled.length === 0 ? '' : `; not loaded: ${disabled.join(', ')}`;
    return { healthy: true, functions, detail: `Running with ${functions.length} function${functions.length === 1 ? '' : 's'}${skipped}.` };
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    return { healthy: false, functions: [], detail: `The host at ${url} does not answer: ${reason}.` };
  }
}

async function getJson(url: string, signal: AbortSignal): Promise<unknown> {
  const response = await request(url, { method: 'GET', signal });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET ${new URL(url).pathname} answered ${response.statusCode}`);
  return JSON.parse(text) as unknown;
}
