/**
 * The Azure platform: each app is a Linux Function App (a site) in one resource group, on a plan of
 * the configured SKU, driven through Azure Resource Manager with the SDK clients; packages go
 * through a blob container to ARM OneDeploy.
 *
 * - Ownership is in the site's tags (managed-by, router-owner, route-key, version); `get` and `list`
 *   find the router's apps by them, and the adapter changes no site it does not own.
 * - Every operation is idempotent and keyed by the app's name (an ARM resource name), so an
 *   orchestration that resumes after a crash repeats steps safely: a provision killed half-way and
 *   run again ends with one site and one plan (a site still being created is waited for).
 * - Retries of 429 (after Retry-After), 5xx and network errors are the pipeline's; what is left is
 *   a terminal PLATFORM_OPERATION_FAILED carrying ARM's code and message (see arm-errors).
 * - Secrets (keys, the storage connection string, the package URL's signature, the token) are never
 *   logged: log lines name apps, blobs and operations.
 * - Operations on one app are not serialised here: the control plane runs one step per app at a time.
 */
import { entityNamesOf, type ListedFunction } from '../function-bindings.js';
import type { AppServicePlan, Site } from '@azure/arm-appservice';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultFunctionKeyName, durableTaskSystemKeyName } from '../../host/keys/host-secrets.js';
import { PollBackoff } from './poll-backoff.js';
import { isRouterError, RouterError } from '../../../shared/errors/router-error.js';
import { assertAppName, assertProvisionRequest, assertSettings } from '../platform-input.js';
import type { AppHealth, AppKeys, AppSettings, DeploymentPackage, Platform, PlatformApp, ProvisionRequest } from '../platform.js';
import { createArmClients, type ArmClients } from './arm-clients.js';
import { armFailure, armStatusOf, isArmNotFound } from './arm-errors.js';
import { deploymentContainerName, flexPlanName, hostIdOf, hostIdLength, sharedPlanName } from './azure-names.js';
import { resolveAzurePlatformOptions, type AzurePlatformConfig, type AzurePlatformOptions } from './azure-platform-options.js';
import { hostingPlanKind, planDefinition, type HostingPlanKind } from './hosting-plans.js';
import { oneDeploy } from './one-deploy.js';
import { PackageStorage } from './package-storage.js';
import { pingSite } from './site-ping.js';
import { assertCallerSettingsAllowed, callerSettingNames, mergeAppSettings } from './site-app-settings.js';
import { siteDefinition } from './site-definition.js';
import { deploymentTags, isOwnedBy, planTags, siteOwnership, siteTags, type OwnedSite } from './site-tags.js';
import { platformAppOf } from './site-view.js';

/** A site as read from ARM, with the provisioning state the SDK model leaves out. */
interface FoundSite {
  readonly site: Site;
  readonly provisioningState: string | undefined;
}

interface OwnedFoundSite {
  readonly site: Site;
  readonly owned: OwnedSite;
}

const settingsReadsAtOnce = 8;
/** How long a site another provision left being created may take to finish. */
const siteCreationWaitMs = 15 * 60 * 1000;
const deploymentTimeoutMs = 30 * 60 * 1000;
const terminalProvisioningStates = new Set(['succeeded', 'failed', 'canceled']);

export class AzurePlatform implements Platform {
  readonly #config: AzurePlatformConfig;
  readonly #arm: ArmClients;
  readonly #packages: PackageStorage;
  readonly #plan: HostingPlanKind;
  readonly #logger: Logger;

  constructor(options: AzurePlatformOptions) {
    this.#config = resolveAzurePlatformOptions(options);
    this.#arm = createArmClients({
      subscriptionId: this.#config.subscriptionId,
      credential: this.#config.credential,
      loopbackEndpoint: this.#config.loopbackEndpoint,
      retry: this.#config.retry,
    });
    this.#logger = this.#config.logger;
    this.#packages = new PackageStorage(this.#config.packageAccount, this.#config.packageContainer, this.#logger);
    this.#plan = hostingPlanKind(this.#config.planSku);
  }

  async provision(request: ProvisionRequest): Promise<PlatformApp> {
    assertProvisionRequest(request);
    const { appName } = request;
    const existing = await this.#readSite(appName);
    if (existing !== undefined) return this.#provisioned(existing, request);

    // Everything that can refuse the name is asked before anything is created.
    const listing = await this.#listSites();
    this.#assertHostIdFree(appName, listing.sites);
    await this.#assertNameAvailable(appName);

    if (!listing.resourceGroupExists) await this.#createResourceGroup();
    const planId = await this.#ensurePlan(appName);
    let deploymentContainerUrl: string | undefined;
    if (this.#plan.sku === 'FC1') {
      const container = deploymentContainerName(appName);
      await this.#packages.ensureContainer(container);
      deploymentContainerUrl = this.#packages.containerUrl(container);
    }
    const definition = siteDefinition({
      sku: this.#plan.sku,
      appName,
      location: this.#config.location,
      planId,
      tags: siteTags(this.#config.owner, request, new Date().toISOString()),
      packageStorageConnectionString: this.#config.packageAccount.connectionString,
      ...(deploymentContainerUrl === undefined ? {} : { deploymentContainerUrl }),
    });
    let created: Site;
    try {
      created = await this.#arm.web.webApps.createOrUpdate(this.#config.resourceGroup, appName, definition, { updateIntervalInMs: this.#config.pollIntervalMs });
    } catch (error) {
      throw armFailure(error, 'WebApps_CreateOrUpdate', appName);
    }
    const ownership = siteOwnership(created.tags, this.#config.owner);
    if (ownership.kind !== 'owned') throw new RouterError('PLATFORM_OPERATION_FAILED', `ARM created the site "${appName}" without the tags it was given; look at it in the portal before provisioning again.`, { details: { appName } });
    this.#logger.info({ app: appName, routeKey: request.routeKey, sku: this.#plan.sku }, 'provisioned an Azure Function App');
    return platformAppOf(created, ownership.site, []);
  }

  async configure(appName: string, settings: AppSettings): Promise<void> {
    assertAppName(appName);
    assertSettings(settings);
    assertCallerSettingsAllowed(this.#plan.sku, settings);
    await this.#ownedSite(appName);
    const current = await this.#settingsOf(appName);
    const { next, changed } = mergeAppSettings(current, settings);
    if (!changed) {
      this.#logger.info({ app: appName }, 'the app already has these settings: nothing written');
      return;
    }
    try {
      await this.#arm.web.webApps.updateApplicationSettings(this.#config.resourceGroup, appName, { properties: next });
    } catch (error) {
      throw armFailure(error, 'WebApps_UpdateApplicationSettings', appName);
    }
    this.#logger.info({ app: appName, settings: Object.keys(settings).sort() }, 'configured an Azure Function App');
  }

  async deploy(appName: string, deployment: DeploymentPackage): Promise<PlatformApp> {
    assertAppName(appName);
    if (!/^[0-9a-f]{64}$/.test(deployment.sha256)) throw new RouterError('INVALID_REQUEST', 'A deployment needs the package\'s sha256 as 64 lower-case hex digits.');
    const { site } = await this.#ownedSite(appName);
    const blobName = await this.#packages.upload(appName, deployment);
    const packageUri = await this.#packages.readUrl(blobName);
    this.#logger.info({ app: appName, blob: blobName }, 'deploying a package with OneDeploy');
    await oneDeploy(this.#arm, { resourceGroup: this.#config.resourceGroup, appName, siteId: this.#siteId(site, appName) }, packageUri, {
      pollIntervalMs: this.#config.pollIntervalMs,
      timeoutMs: deploymentTimeoutMs,
    });
    if (this.#plan.syncsTriggers) await this.#syncTriggers(appName);
    const tags = await this.#recordDeployment(site, appName, deployment.sha256);
    const deployed = { ...site, tags };
    const ownership = siteOwnership(tags, this.#config.owner);
    if (ownership.kind !== 'owned') throw new RouterError('PLATFORM_OPERATION_FAILED', `The tags of "${appName}" lost its ownership while it was deployed; look at the site's tags.`, { details: { appName } });
    this.#logger.info({ app: appName, sha256: deployment.sha256 }, 'deployed a package to an Azure Function App');
    return platformAppOf(deployed, ownership.site, callerSettingNames(await this.#settingsOf(appName)));
  }

  async health(appName: string): Promise<AppHealth> {
    assertAppName(appName);
    const { site, owned } = await this.#ownedSite(appName);
    const app = platformAppOf(site, owned, []);
    if (app.state === 'not-deployed') return { healthy: false, state: app.state, functions: [], entities: [], detail: 'No package has been deployed to it yet.' };
    if (app.state === 'stopped') return { healthy: false, state: app.state, functions: [], entities: [], detail: 'The site is stopped: start it in Azure.' };
    const ping = await pingSite(app.url, this.#config.probeTimeoutMs);
    if (!ping.answered) return { healthy: false, state: app.state, functions: [], entities: [], detail: ping.detail };
    const listed = await this.#listFunctions(appName);
    if (!listed.ok) return { healthy: false, state: app.state, functions: [], entities: [], detail: listed.detail };
    const { enabled, disabled, entities } = listed;
    if (enabled.length === 0) return { healthy: false, state: app.state, functions: [], entities: [], detail: 'The host answers but registered no functions: check package.json "main".' };
    const skipped = disabled.length === 0 ? '' : `; disabled: ${disabled.join(', ')}`;
    return { healthy: true, state: app.state, functions: enabled, entities, detail: `Running with ${enabled.length} function${enabled.length === 1 ? '' : 's'}${skipped}.` };
  }

  async delete(appName: string): Promise<void> {
    assertAppName(appName);
    const found = await this.#readSite(appName);
    if (found !== undefined) {
      const ownership = siteOwnership(found.site.tags, this.#config.owner);
      if (ownership.kind !== 'owned') throw nameTaken(appName, `${notOursReason(ownership)}, so this router does not delete it`);
      try {
        await this.#arm.web.webApps.delete(this.#config.resourceGroup, appName, { deleteEmptyServerFarm: false });
      } catch (error) {
        if (!isArmNotFound(error)) throw armFailure(error, 'WebApps_Delete', appName);
      }
    }
    const planDeleted = await this.#deleteOwnPlan(appName);
    const packages = await this.#packages.deletePackages(appName);
    await this.#packages.deleteContainer(deploymentContainerName(appName));
    if (found !== undefined || planDeleted || packages > 0) this.#logger.info({ app: appName, planDeleted, packages }, 'deleted an Azure Function App');
  }

  async get(appName: string): Promise<PlatformApp | undefined> {
    assertAppName(appName);
    const found = await this.#readSite(appName);
    if (found === undefined) return undefined;
    const ownership = siteOwnership(found.site.tags, this.#config.owner);
    if (ownership.kind !== 'owned') return undefined;
    return platformAppOf(found.site, ownership.site, callerSettingNames(await this.#settingsOf(appName)));
  }

  async list(): Promise<PlatformApp[]> {
    const { sites } = await this.#listSites();
    const owned = sites.flatMap((site) => {
      const ownership = siteOwnership(site.tags, this.#config.owner);
      return ownership.kind === 'owned' && site.name !== undefined ? [{ site, owned: ownership.site, name: site.name }] : [];
    });
    // One settings read per app, a few at a time: a hundred at once would only be throttled.
    const apps: PlatformApp[] = [];
    for (let first = 0; first < owned.length; first += settingsReadsAtOnce) {
      apps.push(...(await Promise.all(owned.slice(first, first + settingsReadsAtOnce).map(async ({ site, owned: record, name }) => {
        const settings = await this.#settingsIfPresent(name);
        // Deleted since it was listed: it is not one of the apps any more.
        return settings === undefined ? [] : [platformAppOf(site, record, callerSettingNames(settings))];
      }))).flat());
    }
    return apps.sort((a, b) => a.name.localeCompare(b.name));
  }

  async keys(appName: string): Promise<AppKeys> {
    assertAppName(appName);
    await this.#ownedSite(appName);
    let keys;
    try {
      keys = await this.#arm.web.webApps.listHostKeys(this.#config.resourceGroup, appName);
    } catch (error) {
      throw armFailure(error, 'WebApps_ListHostKeys', appName);
    }
    const functionKey = keys.functionKeys?.[defaultFunctionKeyName];
    const durableTask = keys.systemKeys?.[durableTaskSystemKeyName];
    if (functionKey === undefined || functionKey === '') {
      throw new RouterError('PLATFORM_OPERATION_FAILED', `The app "${appName}" has no "${defaultFunctionKeyName}" function key: its host has not created its keys yet; deploy it and wait until it is healthy.`, { details: { appName } });
    }
    if (durableTask === undefined || durableTask === '') {
      throw new RouterError('PLATFORM_OPERATION_FAILED', `The app "${appName}" has no "${durableTaskSystemKeyName}" system key yet: the durable extension creates it when the app first runs; deploy it and wait until it is healthy.`, { details: { appName } });
    }
    return { function: functionKey, durableTask };
  }

  /** The site if it exists in the resource group (whoever owns it); waits out one still being created by an earlier provision. */
  async #readSite(appName: string): Promise<FoundSite | undefined> {
    let provisioningState: string | undefined;
    try {
      const site = await this.#arm.web.webApps.get(this.#config.resourceGroup, appName, {
        onResponse: (response) => {
          provisioningState = provisioningStateOf(response.parsedBody);
        },
      });
      return { site, provisioningState };
    } catch (error) {
      if (isArmNotFound(error)) return undefined;
      throw armFailure(error, 'WebApps_Get', appName);
    }
  }

  async #ownedSite(appName: string): Promise<OwnedFoundSite> {
    const found = await this.#readSite(appName);
    const ownership = found === undefined ? undefined : siteOwnership(found.site.tags, this.#config.owner);
    if (found === undefined || ownership?.kind !== 'owned') {
      throw new RouterError('PLATFORM_APP_NOT_FOUND', `The resource group "${this.#config.resourceGroup}" has no Function App "${appName}" of this router; provision it first.`, { details: { appName } });
    }
    return { site: found.site, owned: ownership.site };
  }

  /** An existing site for a provision: this router's for the same route key is returned as it is. */
  async #provisioned(found: FoundSite, request: ProvisionRequest): Promise<PlatformApp> {
    const ownership = siteOwnership(found.site.tags, this.#config.owner);
    if (ownership.kind !== 'owned') throw nameTaken(request.appName, notOursReason(ownership));
    if (ownership.site.routeKey !== request.routeKey) {
      throw nameTaken(request.appName, `this router uses it for ${ownership.site.routeKey}, not ${request.routeKey}`);
    }
    const site = isInProgress(found.provisioningState) ? await this.#waitForSite(request.appName) : found.site;
    const settled = siteOwnership(site.tags, this.#config.owner);
    const owned = settled.kind === 'owned' ? settled.site : ownership.site;
    return platformAppOf(site, owned, callerSettingNames(await this.#settingsOf(request.appName)));
  }

  /** Polls a site that an earlier (interrupted) provision is still creating until ARM has finished it. */
  async #waitForSite(appName: string): Promise<Site> {
    this.#logger.info({ app: appName }, 'the site is still being created by an earlier provision: waiting for it');
    const deadline = performance.now() + siteCreationWaitMs;
    const backoff = new PollBackoff(this.#config.pollIntervalMs);
    for (;;) {
      await sleep(backoff.next());
      const found = await this.#readSite(appName);
      if (found === undefined) {
        throw new RouterError('PLATFORM_OPERATION_FAILED', `The site "${appName}" disappeared while it was being created; provision it again.`, { details: { appName } });
      }
      const state = found.provisioningState?.toLowerCase();
      if (!isInProgress(state)) {
        if (state === 'failed' || state === 'canceled') {
          throw new RouterError('PLATFORM_OPERATION_FAILED', `An earlier provision left the site "${appName}" ${state}; delete the app, then provision it again.`, { details: { appName } });
        }
        return found.site;
      }
      if (performance.now() > deadline) {
        throw new RouterError('PLATFORM_OPERATION_FAILED', `The site "${appName}" was still being created after ${siteCreationWaitMs / 60_000} minutes; try again later.`, { details: { appName } });
      }
    }
  }

  /** Every site of the resource group, and whether the group exists (ARM answers 404 for a missing one). */
  async #listSites(): Promise<{ readonly sites: Site[]; readonly resourceGroupExists: boolean }> {
    const sites: Site[] = [];
    try {
      for await (const site of this.#arm.web.webApps.listByResourceGroup(this.#config.resourceGroup)) sites.push(site);
    } catch (error) {
      if (isArmNotFound(error)) return { sites: [], resourceGroupExists: false };
      throw armFailure(error, 'WebApps_ListByResourceGroup');
    }
    return { sites, resourceGroupExists: true };
  }

  #assertHostIdFree(appName: string, sites: readonly Site[]): void {
    const hostId = hostIdOf(appName);
    const clash = sites.find((site) => site.name !== undefined && site.name !== appName
      && siteOwnership(site.tags, this.#config.owner).kind === 'owned' && hostIdOf(site.name) === hostId);
    if (clash?.name !== undefined) {
      throw new RouterError('PLATFORM_HOST_ID_CLASH', `The app name "${appName}" starts with the same ${hostIdLength} characters as this router's app "${clash.name}" ("${hostId}"): on a shared storage account both would run as one Functions host id and stop each other (AZFD0004). Choose a name that differs within its first ${hostIdLength} characters.`, {
        details: { appName, clashesWith: clash.name, hostId },
      });
    }
  }

  async #assertNameAvailable(appName: string): Promise<void> {
    let answer;
    try {
      answer = await this.#arm.web.checkNameAvailability(appName, 'Microsoft.Web/sites');
    } catch (error) {
      throw armFailure(error, 'CheckNameAvailability', appName);
    }
    if (answer.nameAvailable === true) return;
    const because = answer.message ?? answer.reason ?? 'ARM gave no reason';
    if (answer.reason === 'Invalid') throw new RouterError('INVALID_REQUEST', `Azure refuses the app name "${appName}": ${because}`, { details: { appName } });
    throw nameTaken(appName, `Azure says: ${because}`);
  }

  async #createResourceGroup(): Promise<void> {
    try {
      await this.#arm.resources.resourceGroups.createOrUpdate(this.#config.resourceGroup, {
        location: this.#config.location,
        tags: planTags(this.#config.owner),
      });
    } catch (error) {
      throw armFailure(error, 'ResourceGroups_CreateOrUpdate');
    }
    this.#logger.info({ resourceGroup: this.#config.resourceGroup, location: this.#config.location }, 'created the resource group');
  }

  /** The plan the new app runs on: its own on Flex, else the router's shared one (created once, then left as it is). */
  async #ensurePlan(appName: string): Promise<string> {
    const planName = this.#plan.planPerApp ? flexPlanName(appName) : sharedPlanName(this.#config.owner);
    if (!this.#plan.planPerApp) {
      const existing = await this.#readPlan(planName);
      if (existing !== undefined) {
        if (existing.sku?.name !== undefined && existing.sku.name.toUpperCase() !== this.#plan.sku) {
          throw new RouterError('PLATFORM_OPERATION_FAILED', `The router's shared plan "${planName}" is ${existing.sku.name}, but the platform is set to ${this.#plan.sku}: set ROUTER_PLAN_SKU to ${existing.sku.name}, or move the apps and delete the plan.`, { details: { plan: planName } });
        }
        return existing.id ?? this.#planId(planName);
      }
    }
    let plan: AppServicePlan;
    try {
      plan = await this.#arm.web.appServicePlans.createOrUpdate(this.#config.resourceGroup, planName, planDefinition(this.#plan.sku, this.#config.location, planTags(this.#config.owner)), {
        updateIntervalInMs: this.#config.pollIntervalMs,
      });
    } catch (error) {
      throw armFailure(error, 'AppServicePlans_CreateOrUpdate', appName);
    }
    this.#logger.info({ plan: planName, sku: this.#plan.sku }, 'created a plan');
    return plan.id ?? this.#planId(planName);
  }

  async #readPlan(planName: string): Promise<AppServicePlan | undefined> {
    try {
      return await this.#arm.web.appServicePlans.get(this.#config.resourceGroup, planName);
    } catch (error) {
      if (isArmNotFound(error)) return undefined;
      throw armFailure(error, 'AppServicePlans_Get');
    }
  }

  /** The app's own (Flex) plan, if this router owns one by the app's name; the shared plan is never deleted here. */
  async #deleteOwnPlan(appName: string): Promise<boolean> {
    const planName = flexPlanName(appName);
    if (planName === sharedPlanName(this.#config.owner)) return false;
    const plan = await this.#readPlan(planName);
    if (plan === undefined || !isOwnedBy(plan.tags, this.#config.owner)) return false;
    try {
      await this.#arm.web.appServicePlans.delete(this.#config.resourceGroup, planName);
    } catch (error) {
      if (isArmNotFound(error)) return false;
      throw armFailure(error, 'AppServicePlans_Delete', appName);
    }
    return true;
  }

  async #settingsIfPresent(appName: string): Promise<Record<string, string> | undefined> {
    try {
      return await this.#settingsOf(appName);
    } catch (error) {
      if (isRouterError(error) && error.details?.['status'] === 404) return undefined;
      throw error;
    }
  }

  async #settingsOf(appName: string): Promise<Record<string, string>> {
    try {
      return (await this.#arm.web.webApps.listApplicationSettings(this.#config.resourceGroup, appName)).properties ?? {};
    } catch (error) {
      throw armFailure(error, 'WebApps_ListApplicationSettings', appName);
    }
  }

  /** The live service answers 200 where the spec and the SDK expect only 204: that is a success too. */
  async #syncTriggers(appName: string): Promise<void> {
    try {
      await this.#arm.web.webApps.syncFunctionTriggers(this.#config.resourceGroup, appName);
    } catch (error) {
      if (armStatusOf(error) === 200) return;
      throw armFailure(error, 'WebApps_SyncFunctionTriggers', appName);
    }
  }

  /** Merges the deployment tags into the site's (the Tags API touches nothing else); returns all its tags. */
  async #recordDeployment(site: Site, appName: string, sha256: string): Promise<Record<string, string>> {
    try {
      // The scope is substituted after a '/' unescaped: the id goes without its leading slash.
      const result = await this.#arm.resources.tagsOperations.beginUpdateAtScopeAndWait(
        this.#siteId(site, appName).replace(/^\/+/, ''),
        { operation: 'Merge', properties: { tags: deploymentTags(sha256, new Date().toISOString()) } },
        { updateIntervalInMs: this.#config.pollIntervalMs },
      );
      return { ...(result.properties?.tags ?? {}) };
    } catch (error) {
      throw armFailure(error, 'Tags_UpdateAtScope', appName);
    }
  }

  async #listFunctions(appName: string): Promise<
    { readonly ok: true; readonly enabled: string[]; readonly disabled: string[]; readonly entities: string[] } | { readonly ok: false; readonly detail: string }
  > {
    const enabled: ListedFunction[] = [];
    const disabled: string[] = [];
    try {
      for await (const entry of this.#arm.web.webApps.listFunctions(this.#config.resourceGroup, appName)) {
        // ARM names a function "<site>/<function>".
        const name = (entry.name ?? '').split('/').pop() ?? '';
        if (name === '') continue;
        if (entry.isDisabled === true) disabled.push(name);
        else enabled.push({ name, config: entry.config });
      }
    } catch (error) {
      return { ok: false, detail: `The host answers, but ARM could not list its functions: ${armFailure(error, 'WebApps_ListFunctions', appName).message}` };
    }
    return { ok: true, enabled: enabled.map((fn) => fn.name).sort(), disabled: disabled.sort(), entities: entityNamesOf(enabled) };
  }

  #siteId(site: Site, appName: string): string {
    return site.id ?? `/subscriptions/${this.#config.subscriptionId}/resourceGroups/${this.#config.resourceGroup}/providers/Microsoft.Web/sites/${appName}`;
  }

  #planId(planName: string): string {
    return `/subscriptions/${this.#config.subscriptionId}/resourceGroups/${this.#config.resourceGroup}/providers/Microsoft.Web/serverfarms/${planName}`;
  }
}

function provisioningStateOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const properties = (body as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  const state = (properties as { provisioningState?: unknown }).provisioningState;
  return typeof state === 'string' ? state : undefined;
}

/** No provisioning state (most sites show none) reads as settled. */
function isInProgress(state: string | undefined): boolean {
  return state !== undefined && !terminalProvisioningStates.has(state.toLowerCase());
}

function notOursReason(ownership: { readonly kind: 'unmanaged' } | { readonly kind: 'other-router'; readonly owner: string }): string {
  return ownership.kind === 'other-router' ? `it belongs to the router "${ownership.owner}"` : 'a Function App this router does not manage has it';
}

function nameTaken(appName: string, reason: string): RouterError {
  return new RouterError('PLATFORM_APP_NAME_TAKEN', `The app name "${appName}" is taken: ${reason}. Choose another name.`, { details: { appName } });
}
