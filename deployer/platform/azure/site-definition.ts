/**
 * The Function App (site) resource the adapter creates, per plan SKU: Linux, HTTPS only, a
 * system-assigned identity, Node 22, the router's tags and the adapter's own app settings. Pure.
 */
import type { Site } from '@azure/arm-appservice';
import { RouterError } from '../../../shared/errors/router-error.js';
import { adapterAppSettings, deploymentStorageSetting } from './site-app-settings.js';
import type { PlanSku } from './hosting-plans.js';

export const nodeMajorVersion = '22';
/** Flex's default instance size and the scale-out ceiling of a new app. */
const flexInstanceMemoryMb = 2048;
const flexMaximumInstances = 100;

export interface SiteDefinitionInput {
  readonly sku: PlanSku;
  readonly appName: string;
  readonly location: string;
  /** ARM id of the plan the site runs on. */
  readonly planId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly packageStorageConnectionString: string;
  /** Flex only: URL of the app's deployment blob container. */
  readonly deploymentContainerUrl?: string;
}

export function siteDefinition(input: SiteDefinitionInput): Site {
  const appSettings = Object.entries(adapterAppSettings(input)).map(([name, value]) => ({ name, value }));
  const common: Site = {
    location: input.location,
    kind: 'functionapp,linux',
    tags: { ...input.tags },
    identity: { type: 'SystemAssigned' },
    serverFarmId: input.planId,
    reserved: true,
    httpsOnly: true,
  };
  if (input.sku !== 'FC1') {
    return { ...common, siteConfig: { linuxFxVersion: `Node|${nodeMajorVersion}`, appSettings } };
  }
  if (input.deploymentContainerUrl === undefined) throw new RouterError('INTERNAL', 'A Flex Consumption site needs its deployment container.');
  return {
    ...common,
    siteConfig: { appSettings },
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer',
          value: input.deploymentContainerUrl,
          authentication: { type: 'StorageAccountConnectionString', storageAccountConnectionStringName: deploymentStorageSetting },
        },
      },
      runtime: { name: 'node', version: nodeMajorVersion },
      scaleAndConcurrency: { maximumInstanceCount: flexMaximumInstances, instanceMemoryMB: flexInstanceMemoryMb },
    },
  };
}
