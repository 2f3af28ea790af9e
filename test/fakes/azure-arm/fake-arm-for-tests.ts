/**
 * What the fake ARM's own tests (and the Azure adapter's) share: a fake per test file that stops
 * when the file's tests end, raw ARM calls, a loopback server for packages, the HTTPS agent that
 * trusts the test CA, OneDeploy through the SDK client's pipeline, and polling with a deadline.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after } from 'node:test';
import type { WebSiteManagementClient } from '@azure/arm-appservice';
import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import { Agent, request } from 'undici';
import { zipDirectory } from '../../../deployer/platform/package/directory-zip.js';
import { repositoryRoot } from '../../deployer/host/fixture-apps.js';
import { startFakeArm, type FakeArm, type FakeArmOptions } from './fake-arm.js';
import { readTestCa } from './sites/test-tls.js';

/** A fake under the repository's .data/test/ (so its apps resolve @azure/functions), stopped and removed after the file's tests. */
export async function startFakeArmForTests(options: Partial<FakeArmOptions> = {}): Promise<FakeArm> {
  const dataDir = options.dataDir ?? path.join(repositoryRoot, '.data', 'test', `fake-arm-${randomUUID()}`);
  const fake = await startFakeArm({ ...options, dataDir });
  after(async () => {
    await fake.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return fake;
}

export interface RawArmAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface RawArmCall {
  readonly method: string;
  /** The path; `?api-version=` is added unless `apiVersion` is null or the path has a query. */
  readonly path: string;
  readonly apiVersion?: string | null;
  readonly body?: unknown;
  /** Default: the fake's token; null sends no Authorization header. */
  readonly token?: string | null;
  readonly contentType?: string;
}

/** One ARM call as bytes on the wire, without the SDK (to see exactly what the fake answers). */
export async function armCall(fake: FakeArm, call: RawArmCall): Promise<RawArmAnswer> {
  const query = call.apiVersion === null || call.path.includes('?') ? '' : `?api-version=${call.apiVersion ?? '2025-05-01'}`;
  const headers: Record<string, string> = {};
  const token = call.token === undefined ? fake.token : call.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  let body: string | undefined;
  if (call.body !== undefined) {
    body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
    headers['content-type'] = call.contentType ?? 'application/json';
  }
  const response = await request(`${fake.endpoint}${call.path}${query}`, { method: call.method as 'GET', headers, ...(body === undefined ? {} : { body }) });
  const text = await response.body.text();
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') flat[name] = value;
  return { status: response.statusCode, headers: flat, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The `{ error: { code, message } }` of an answer. */
export function armErrorOf(answer: RawArmAnswer): { code: string; message: string } {
  const error = (answer.body as { error?: { code: string; message: string } } | undefined)?.error;
  assert.ok(error !== undefined, `expected an ARM error envelope, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return error;
}

export interface PackageServer {
  /** A URL of the zip with a SAS-like query, to show it is never echoed. */
  readonly url: string;
  readonly requests: number;
  close(): Promise<void>;
}

/** Serves a package (a zip, or an app directory zipped) over loopback HTTP, as Azurite would serve a blob. */
export async function servePackage(appDirOrZip: string): Promise<PackageServer> {
  const zip = (await stat(appDirOrZip)).isDirectory() ? await buffer((await zipDirectory(appDirOrZip)).stream) : await readFile(appDirOrZip);
  let requests = 0;
  const server: Server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.length) });
    response.end(zip);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/packages/${randomUUID()}.zip?sv=2025-01-05&sig=not-a-real-signature`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An HTTPS agent that trusts the test CA (in-process stand-in for NODE_EXTRA_CA_CERTS). */
export function siteAgent(): Agent {
  return new Agent({ connect: { ca: readTestCa() } });
}

/** PUT .../extensions/onedeploy with the body the service wants, through the SDK client's own pipeline (the typed method sends none). */
export async function startOneDeploy(fake: FakeArm, web: WebSiteManagementClient, resourceGroup: string, site: string, packageUri: string): Promise<{ status: number; body: unknown }> {
  const pipelineRequest = createPipelineRequest({
    url: `${fake.endpoint}/subscriptions/${fake.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${site}/extensions/onedeploy?api-version=2025-05-01`,
    method: 'PUT',
    body: JSON.stringify({ properties: { type: 'zip', packageUri, clean: true, restart: true } }),
    allowInsecureConnection: true,
  });
  pipelineRequest.headers.set('content-type', 'application/json');
  const response = await web.pipeline.sendRequest(createDefaultHttpClient(), pipelineRequest);
  return { status: response.status, body: response.bodyAsText ? (JSON.parse(response.bodyAsText) as unknown) : undefined };
}

/** Polls GET .../extensions/onedeploy (the SDK's getOneDeployStatus) until the deployment is complete; its Kudu status. */
export async function waitForDeployment(web: WebSiteManagementClient, resourceGroup: string, site: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  return pollUntil(`the deployment to ${site} to complete`, timeoutMs, async () => {
    const status = (await web.webApps.getOneDeployStatus(resourceGroup, site)) as { properties?: Record<string, unknown> };
    return status.properties?.['complete'] === true ? status.properties : undefined;
  });
}

/** Calls `probe` until it returns something, failing the test when the deadline passes. */
export async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (performance.now() > deadline) assert.fail(`Waited ${timeoutMs} ms for ${what}.`);
    await sleep(100);
  }
}
