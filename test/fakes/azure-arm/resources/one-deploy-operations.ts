/**
 * OneDeploy through ARM: `PUT .../extensions/onedeploy` with `{ properties: { type: "zip",
 * packageUri } }` (the spec declares no body; the service is driven by this one) answers 202, as
 * Kudu answers ARM's deployment requests, with the deployment's status and a Location to poll
 * (the fake's: `GET .../extensions/onedeploy`; Kudu's points at its `deployments/latest`). The
 * package is downloaded (loopback URLs only) and deployed to the site's app in the background; the
 * status goes 0 → 1 → 2 → 4, or 3 with the reason (a package the host cannot start fails with the
 * host's words). One deployment at a time per site (409 otherwise, as Kudu).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RouterError } from '../../../../shared/errors/router-error.js';
import { fakeArmNow } from '../accounting/fake-arm-accounting.js';
import { ArmError, badRequest, conflict } from '../protocol/arm-error.js';
import { deploymentStatusJson, deployStatus, isComplete, type DeploymentRecord } from '../sites/deployment-status.js';
import { describePackageUri, downloadPackage, packageUriProblem } from '../sites/package-download.js';
import type { FakeArmContext, OperationHandlers } from './fake-arm-context.js';
import type { FakeArmState, SiteRecord } from './fake-arm-state.js';
import { workerRuntimeOf } from './flex-consumption.js';
import { optionalObject, optionalString, requireBody } from './request-body.js';

const operationId = 'WebApps_CreateOneDeployOperation';
const webApiVersion = '2025-05-01';
const maxPackageBytes = 256 * 1024 * 1024;
const downloadTimeoutMs = 120_000;

export function oneDeployOperations(context: FakeArmContext): OperationHandlers {
  const { state } = context;
  return {
    WebApps_CreateOneDeployOperation: {
      ownsDelay: true,
      run: async ({ params, body }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const usage = "The OneDeploy request needs the body { properties: { type: 'zip', packageUri: '<URL of the zip>' } }.";
        if (body === undefined) throw badRequest(`${usage} It has none.`);
        const properties = optionalObject(requireBody(body), 'properties');
        if (properties === undefined) throw badRequest(`${usage} It has no 'properties'.`);
        const packageUri = optionalString(properties, 'packageUri', 'properties.packageUri');
        if (packageUri === undefined) throw badRequest(`${usage} It has no 'packageUri'.`);
        const type = optionalString(properties, 'type', 'properties.type') ?? 'zip';
        if (type.toLowerCase() !== 'zip') throw badRequest(`The fake ARM deploys packages of type 'zip' only, not '${type}'.`);
        const problem = packageUriProblem(packageUri);
        if (problem !== undefined) throw badRequest(problem);
        if (site.deployments.some((deployment) => !isComplete(deployment))) {
          throw conflict('There is a deployment currently in progress. Please try again when it completes.');
        }
        const record: DeploymentRecord = {
          id: randomUUID(),
          status: deployStatus.pending,
          statusText: '',
          receivedTime: new Date().toISOString(),
          startTime: undefined,
          endTime: undefined,
          packageUri: describePackageUri(packageUri),
        };
        site.deployments.push(record);
        context.background(`deploying to ${site.name}`, () => runDeployment(context, site, record, packageUri));
        return {
          status: 202,
          body: deploymentEnvelope(context, site, record),
          headers: { location: statusUrl(context, site), 'retry-after': '1' },
        };
      },
    },
    WebApps_GetOneDeployStatus: {
      run: async ({ params }) => {
        const site = state.requireSite(params['resourceGroupName']!, params['name']!);
        const latest = site.deployments.at(-1);
        if (latest === undefined) throw new ArmError(404, 'NotFound', `No deployment has been made to the site '${site.name}' yet.`);
        return { status: 200, body: deploymentEnvelope(context, site, latest) };
      },
    },
  };
}

async function runDeployment(context: FakeArmContext, site: SiteRecord, record: DeploymentRecord, packageUri: string): Promise<void> {
  const startedAt = fakeArmNow();
  const file = path.join(context.settings.dataDir, 'packages', site.name.toLowerCase(), `${record.id}.zip`);
  try {
    const delay = context.faults.delayOf(operationId);
    if (delay !== undefined) await sleep(delay);
    record.status = deployStatus.building;
    record.startTime = new Date().toISOString();
    const downloaded = await downloadPackage(packageUri, file, { ca: context.settings.downloadCa, maxBytes: maxPackageBytes, timeoutMs: downloadTimeoutMs });
    const injected = context.faults.takeDeploymentFailure(site.name);
    if (injected !== undefined) throw new RouterError('PLATFORM_DEPLOY_FAILED', injected);
    const runtime = workerRuntimeOf(site.functionAppConfig, site.appSettings, site.siteConfig);
    if (runtime !== undefined && runtime !== 'node') {
      throw new RouterError('PLATFORM_DEPLOY_FAILED', `The site's worker runtime is '${runtime}': the fake ARM runs node apps only (in the project's local Functions host).`);
    }
    if (!isCurrent(context.state, site)) throw new RouterError('PLATFORM_DEPLOY_FAILED', `The site '${site.name}' was deleted during the deployment.`);
    record.status = deployStatus.deploying;
    await site.host.deploy(downloaded.file, downloaded.sha256);
    record.status = deployStatus.success;
  } catch (error) {
    record.status = deployStatus.failed;
    record.statusText = error instanceof Error ? error.message : String(error);
    context.logger.warn({ site: site.name, deployment: record.id, reason: record.statusText }, 'a OneDeploy deployment to a fake site failed');
  } finally {
    record.endTime = new Date().toISOString();
    await rm(file, { force: true });
    context.accounting.recordBusy({ kind: 'deployment', operationId, resource: context.state.siteId(site), startedAt, endedAt: fakeArmNow() });
  }
}

function isCurrent(state: FakeArmState, site: SiteRecord): boolean {
  return state.sites.get(site.name.toLowerCase()) === site;
}

function statusUrl(context: FakeArmContext, site: SiteRecord): string {
  return `${context.endpoint()}${context.state.siteId(site)}/extensions/onedeploy?api-version=${webApiVersion}`;
}

/** Kudu's answer to ARM: its ArmEntry envelope (`id`, `name`, `type`, `location`, `properties`). */
function deploymentEnvelope(context: FakeArmContext, site: SiteRecord, record: DeploymentRecord): Record<string, unknown> {
  const successes = site.deployments.filter((deployment) => deployment.status === deployStatus.success);
  const lastSuccess = successes.at(-1);
  return {
    id: `${context.state.siteId(site)}/extensions/onedeploy`,
    name: `${site.name}/onedeploy`,
    type: 'Microsoft.Web/sites/extensions',
    location: site.location,
    properties: deploymentStatusJson(record, {
      siteName: site.name,
      statusUrl: statusUrl(context, site),
      active: lastSuccess === record,
      lastSuccessEndTime: lastSuccess?.endTime,
    }),
  };
}
