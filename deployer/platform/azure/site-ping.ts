import { request } from 'undici';

export type SitePing = { readonly answered: true } | { readonly answered: false; readonly detail: string };

/** One bounded `GET {url}/admin/host/ping` (anonymous on every Functions host): is the host up? */
export async function pingSite(url: string, timeoutMs: number): Promise<SitePing> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(`${url}/admin/host/ping`, { method: 'GET', signal });
    await response.body.dump();
    if (response.statusCode === 200 || response.statusCode === 204) return { answered: true };
    return { answered: false, detail: `The host at ${url} answers its ping with HTTP ${response.statusCode}.` };
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : causeOf(error);
    return { answered: false, detail: `The host at ${url} does not answer over HTTPS: ${reason}.` };
  }
}

/** undici reports a failed connection as "fetch failed"-like errors whose cause says why (ECONNREFUSED, a certificate...). */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
