import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peakResidentBytes } from '../../../fixtures/process-memory.js';
import { rawExchange } from '../../../fixtures/raw-exchange.js';
import { fixtureApp } from '../fixture-apps.js';
import { baseEnvironment, startHostProcess, type HostProcess } from './host-process.js';

const megabyte = 1000 * 1000;
const bodyLimit = 300 * megabyte;

/** The sha256 of `bytes` bytes of "a", the body rawExchange generates. */
function digestOfFiller(bytes: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let left = bytes; left > 0; left -= chunk.length) hash.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return hash.digest('hex');
}

/**
 * An app that enables HTTP streams (`app.setup({ enableHttpStream: true })`), in a real host
 * process: requests reach the worker's own HTTP server as they arrive and responses come back as
 * the function writes them, with the body limit enforced while the bytes pass.
 */
describe('HTTP streams in the local host', () => {
  let host: HostProcess;
  let dataDir: string;
  let url: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'host-streams-data-'));
    host = await startHostProcess({
      appDir: fixtureApp('stream-app'),
      args: ['--data-dir', dataDir],
      env: { ...baseEnvironment(), LOG_LEVEL: 'warn', FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(bodyLimit) },
    });
    url = host.listening.url;
  });

  after(async () => {
    if (host && host.child.exitCode === null) await host.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loads the app\'s HTTP functions instead of reporting them unsupported', () => {
    assert.deepEqual(host.listening.unsupported, []);
    assert.ok(host.listening.functions.some((fn) => fn.name === 'digest' && fn.trigger === 'httpTrigger'));
  });

  it('gives the function its URL, route parameters, query, headers and cookies as without streams', async () => {
    const response = await fetch(`${url}/api/items/42?a=1&b=two`, { headers: { 'x-custom': 'kept', 'x-forwarded-host': 'evil.example' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-item'), '42');
    assert.match(response.headers.get('set-cookie') ?? '', /^seen=42;.*HttpOnly/i);
    assert.equal(response.headers.get('x-ms-invocation-id'), null, 'the worker protocol\'s header stays inside the host');
    assert.deepEqual(await response.json(), {
      url: `${url}/api/items/42?a=1&b=two`,
      params: { id: '42' },
      query: { a: '1', b: 'two' },
      custom: 'kept',
      forwardedHost: 'evil.example',
    });
  });

  it('streams a 256 MB chunked body to the function without holding it: the host\'s peak memory grows by far less', async () => {
    const bytes = 256 * megabyte;
    const pid = host.child.pid as number;
    const peakBefore = await peakResidentBytes(pid);
    const response = await rawExchange(Number(host.listening.port), ['POST /api/digest HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/x-big', 'Transfer-Encoding: chunked'].join('\r\n'), { bytes, chunked: true });
    assert.equal(response.status, 200, response.body);
    const answer = JSON.parse(response.body) as { bytes: number; sha256: string; contentType: string };
    assert.equal(answer.bytes, bytes);
    assert.equal(answer.sha256, digestOfFiller(bytes));
    assert.equal(answer.contentType, 'application/x-big');
    // Streamed, the peak grows by what the garbage collector leaves lying (about 60 MiB measured); buffered, by the body at least.
    const growth = await peakResidentBytes(pid) - peakBefore;
    assert.ok(growth < 128 * 1024 * 1024, `the peak resident memory grew by ${(growth / 1024 / 1024).toFixed(1)} MiB for a ${bytes / megabyte} MB body`);
  });

  it('answers a declared length over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT with 413 before reading it', async () => {
    const bytes = 400 * megabyte;
    const response = await rawExchange(Number(host.listening.port), ['POST /api/digest HTTP/1.1', 'Host: 127.0.0.1', `Content-Length: ${bytes}`].join('\r\n'), { bytes });
    assert.equal(response.status, 413, response.body);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(response.bodyBytesSent < bytes);
  });

  it('cuts a chunked body at the limit with 413 while it streams', async () => {
    const bytes = 320 * megabyte;
    const response = await rawExchange(Number(host.listening.port), ['POST /api/digest HTTP/1.1', 'Host: 127.0.0.1', 'Transfer-Encoding: chunked'].join('\r\n'), { bytes, chunked: true });
    assert.equal(response.status, 413, response.body);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(response.bodyBytesSent < bytes, 'answered before the whole body was sent');
  });

  it('relays a function\'s answer given before it read the body, and closes the connection', async () => {
    const response = await rawExchange(Number(host.listening.port), ['POST /api/refuse HTTP/1.1', 'Host: 127.0.0.1', 'Transfer-Encoding: chunked'].join('\r\n'), { bytes: 40 * megabyte, chunked: true });
    assert.equal(response.status, 401);
    assert.deepEqual(JSON.parse(response.body), { refused: true });
    assert.equal(response.headers['connection'], 'close');
  });

  it('streams the response: the first part arrives while the function is still writing it', async () => {
    const response = await fetch(`${url}/api/ticker`);
    assert.equal(response.status, 200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value ?? []).toString(), 'first\n');
    assert.equal((await fetch(`${url}/api/ticker-continue`, { method: 'POST' })).status, 204);
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += Buffer.from(part.value).toString();
    assert.equal(rest, 'second\n');
  });

  it('answers 500 for a function that throws and 200 for one that sets no response, and keeps serving', async () => {
    const failed = await fetch(`${url}/api/fails`);
    assert.equal(failed.status, 500);
    assert.equal(await failed.text(), '');
    // The log line may reach stderr after the answer.
    const deadline = Date.now() + 10_000;
    const logged = /"function":"fails".*this function always fails/;
    while (!logged.test(host.stderr()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(host.stderr(), logged);
    const silent = await fetch(`${url}/api/silent`);
    assert.equal(silent.status, 200);
    assert.equal(await silent.text(), '');
    const small = await fetch(`${url}/api/digest`, { method: 'POST', body: 'hello' });
    assert.equal(((await small.json()) as { bytes: number }).bytes, 5);
  });
});
