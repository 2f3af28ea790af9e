import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { announceListening, exitNormallyOnSigterm, readTargetConfig } from './target-protocol.js';


/*
 * The bar the front door is measured against: a bare node:http server forwarding through one undici
 * Pool with `dispatch` and a handler writing straight to the response. It does what any correct
 * reverse proxy must (drop hop-by-hop headers both ways, set x-forwarded-*, stream with
 * backpressure, abort upstream when a client it waits on is gone, 502 on upstream failure) and
 * nothing more. It uses undici's raw-header handler callbacks, which skip the header-object
 * parsing of the newer ones.
 */

const config = readTargetConfig();
exitNormallyOnSigterm();
const pool = new Pool(config.backendUrl, { connections: config.upstreamConnections, pipelining: 1 });

// RFC 9110 §7.6.1, plus the obsolete proxy-connection; lower case.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
const clientGone = new Error('the client closed the connection');
const badGatewayBody = JSON.stringify({ error: { code: 'UPSTREAM_UNAVAILABLE', message: 'The backend could not be reached.' } });

class ResponseRelay implements Dispatcher.DispatchHandler {
  private abortUpstream: ((error?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private finished = false;
  private watchingClient = false;

  constructor(private readonly res: ServerResponse) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.res.destroyed) abort(clientGone);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    if (this.res.destroyed) {
      this.abortUpstream?.(clientGone);
      return false;
    }
    const headers: string[] = [];
    let connectionListed: Set<string> | undefined;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString('latin1');
      const lower = name.toLowerCase();
      if (hopByHop.has(lower)) {
        if (lower === 'connection') connectionListed = addConnectionTokens((rawHeaders[i + 1] as Buffer).toString('latin1'), connectionListed);
        continue;
      }
      headers.push(name, (rawHeaders[i + 1] as Buffer).toString('latin1'));
    }
    if (connectionListed !== undefined) dropListed(headers, connectionListed);
    this.resumeUpstream = resume;
    this.res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // Only a response the client reads slowly needs watching: listeners cost on every request.
    if (this.res.destroyed) {
      this.abortUpstream?.(clientGone);
      return false;
    }
    if (!this.watchingClient) {
      this.watchingClient = true;
      this.res.on('drain', () => this.resumeUpstream?.());
      this.res.on('close', () => {
        if (!this.finished) this.abortUpstream?.(clientGone);
      });
    }
    return false;
  }

  onComplete(): void {
    this.finished = true;
    this.res.end();
  }

  onError(error: Error): void {
    this.finished = true;
    if (error === clientGone || this.res.destroyed) {
      this.res.destroy();
      return;
    }
    if (this.res.headersSent) {
      this.res.destroy(error);
      return;
    }
    this.res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(badGatewayBody) });
    this.res.end(badGatewayBody);
  }
}

function forward(req: IncomingMessage, res: ServerResponse): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let hasBody = false;
  let connectionListed: Set<string> | undefined;
  let forwardedFor: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower)) {
      if (lower === 'connection') connectionListed = addConnectionTokens(value, connectionListed);
      else if (lower === 'transfer-encoding') hasBody = true;
      continue;
    }
    if (lower === 'content-length') hasBody = true;
    else if (lower === 'host') host = value;
    else if (lower === 'x-forwarded-for') {
      forwardedFor = value;
      continue;
    }
    headers.push(name, value);
  }
  if (connectionListed !== undefined) dropListed(headers, connectionListed);
  const client = req.socket.remoteAddress ?? '';
  headers.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`, 'x-forwarded-proto', 'http');
  if (host !== undefined) headers.push('x-forwarded-host', host);
  pool.dispatch(
    { path: req.url as string, method: req.method as Dispatcher.HttpMethod, headers, body: hasBody ? req : null },
    new ResponseRelay(res),
  );
}

/** Adds the extra hop-by-hop names a Connection header lists (RFC 9110 §7.6.1). */
function addConnectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  let tokens = into;
  for (const token of value.toLowerCase().split(',')) {
    const trimmed = token.trim();
    if (trimmed !== '' && trimmed !== 'close' && trimmed !== 'keep-alive') (tokens ??= new Set()).add(trimmed);
  }
  return tokens;
}

function dropListed(headers: string[], listed: Set<string>): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (listed.has((headers[i] as string).toLowerCase())) headers.splice(i, 2);
  }
}

const server = createServer(forward);
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) announceListening(address.port);
});
