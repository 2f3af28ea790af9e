/**
 * ARM OneDeploy: `PUT {siteId}/extensions/onedeploy` with the package's read-only URL, then its
 * status polled to the end. Works on every plan (Flex included) with the ARM token alone. The SDK's
 * createOneDeployOperation sends no body, so the PUT is built here and sent through the client's
 * own pipeline (authentication, retries). The body holds a signed URL: it is never logged.
 */
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { setTimeout as sleep } from 'node:timers/promises';
import { PollBackoff } from './poll-backoff.js';
import { RouterError } from '../../../shared/errors/router-error.js';
import { parseArmErrorBody } from './arm-error-body.js';
import type { ArmClients } from './arm-clients.js';
import { armFailure, isArmNotFound } from './arm-errors.js';
import { parseOneDeployStatus, type OneDeployStatus } from './one-deploy-status.js';
import { redactSecrets } from './secret-redaction.js';

export const oneDeployApiVersion = '2025-05-01';

export interface OneDeployTarget {
  readonly resourceGroup: string;
  readonly appName: string;
  /** The site's ARM id. */
  readonly siteId: string;
}

export interface OneDeployOptions {
  readonly pollIntervalMs: number;
  /** Give up waiting after this long (the deployment itself may go on). */
  readonly timeoutMs: number;
}

/**
 * Resolves when the deployment succeeded; PLATFORM_DEPLOY_FAILED with the service's message when it
 * failed. A site takes one deployment at a time: one still running (a deploy cut off by a crash of
 * the control plane) is waited for first, so that repeating the step works.
 */
export async function oneDeploy(arm: ArmClients, target: OneDeployTarget, packageUri: string, options: OneDeployOptions): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  // The status read answers for the latest deployment: until the service has taken ours, that is an
  // earlier one. Ours is told apart by the id the PUT gives, else by not being the one before it.
  let previous = await readStatus(arm, target);
  if (previous?.phase === 'in-progress') {
    const ended = await untilEnded(arm, target, previous, (polled) => (polled.id === previous?.id ? 'ours' : 'newer'), deadline, options);
    if (ended !== 'superseded') previous = ended;
  }
  const started = await startDeployment(arm, target, packageUri);
  const whose = (polled: OneDeployStatus): Whose => {
    if (started.id !== undefined) return polled.id === undefined || polled.id === started.id ? 'ours' : 'newer';
    return previous?.id !== undefined && polled.id === previous.id ? 'earlier' : 'ours';
  };
  const ended = await untilEnded(arm, target, started, whose, deadline, options);
  if (ended === 'superseded') {
    throw new RouterError('PLATFORM_DEPLOY_FAILED', `Another deployment to "${target.appName}" followed this one before its outcome could be read: the app runs the later one's package.`, {
      details: { appName: target.appName },
    });
  }
  if (ended.phase === 'failed') {
    throw new RouterError('PLATFORM_DEPLOY_FAILED', `The deployment to "${target.appName}" failed: ${redactSecrets(ended.message)}`, {
      details: { appName: target.appName },
    });
  }
}

/** Which deployment a status read is about, relative to the one being followed (the site runs one at a time). */
type Whose = 'earlier' | 'ours' | 'newer';

async function untilEnded(
  arm: ArmClients, target: OneDeployTarget, initial: OneDeployStatus, whose: (status: OneDeployStatus) => Whose, deadline: number, options: OneDeployOptions,
): Promise<OneDeployStatus | 'superseded'> {
  let status = initial;
  const backoff = new PollBackoff(options.pollIntervalMs);
  while (status.phase === 'in-progress') {
    if (performance.now() > deadline) {
      throw new RouterError('PLATFORM_DEPLOY_FAILED', `A deployment to "${target.appName}" had not ended after ${Math.round(options.timeoutMs / 1000)} s; it may still finish: look at the app's deployment log.`, {
        details: { appName: target.appName },
      });
    }
    await sleep(backoff.next());
    const polled = await readStatus(arm, target);
    if (polled === undefined) continue;
    const about = whose(polled);
    if (about === 'newer') return 'superseded';
    if (about === 'ours') status = polled;
  }
  return status;
}

async function startDeployment(arm: ArmClients, target: OneDeployTarget, packageUri: string): Promise<OneDeployStatus> {
  const request = createPipelineRequest({
    url: `${arm.endpoint}${target.siteId}/extensions/onedeploy?api-version=${oneDeployApiVersion}`,
    method: 'PUT',
    headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify({ properties: { type: 'zip', packageUri, clean: true, restart: true } }),
    allowInsecureConnection: arm.allowInsecureConnection,
  });
  let response;
  try {
    response = await arm.send(request);
  } catch (error) {
    throw armFailure(error, 'WebApps_CreateOneDeployOperation', target.appName);
  }
  if (response.status >= 300) {
    const body = parseArmErrorBody(response.bodyAsText ?? undefined);
    const error = new RestError(body?.message ?? `The service answered HTTP ${response.status}.`, { statusCode: response.status, ...(body?.code === undefined ? {} : { code: body.code }) });
    throw armFailure(error, 'WebApps_CreateOneDeployOperation', target.appName);
  }
  // An answer without a status (e.g. an empty 202) reads as accepted and under way.
  return parseOneDeployStatus(parseJson(response.bodyAsText ?? undefined));
}

async function readStatus(arm: ArmClients, target: OneDeployTarget): Promise<OneDeployStatus | undefined> {
  try {
    return parseOneDeployStatus(await arm.web.webApps.getOneDeployStatus(target.resourceGroup, target.appName));
  } catch (error) {
    if (isArmNotFound(error)) return undefined;
    throw armFailure(error, 'WebApps_GetOneDeployStatus', target.appName);
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
