/**
 * What Flex Consumption refuses, from the Azure Functions docs ("Flex Consumption plan
 * deprecations") and the live service's answers: the runtime and package app settings (the runtime
 * is `functionAppConfig.runtime`, the package its deployment container), the site configuration
 * properties that name a language stack, and a site without `functionAppConfig`. The live service's
 * message is quoted from reports of it ("The following app setting
 * (Site.SiteConfig.AppSettings.FUNCTIONS_WORKER_RUNTIME) for Flex Consumption sites is invalid.
 * Please remove or rename it before retrying."). Some of these the live service is reported to
 * ignore rather than refuse (FUNCTIONS_EXTENSION_VERSION, WEBSITE_CONTENTSHARE): the fake refuses
 * them all, as an adapter must not send them either way.
 */
import { badRequest, type ArmError } from '../protocol/arm-error.js';
import { isObject, optionalInteger, optionalObject, optionalString, type JsonObject } from './request-body.js';

export const flexRefusedAppSettings = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
  'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_DNS_SERVER',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'WEBSITE_VNET_ROUTE_ALL',
  'WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED',
] as const;

const refusedSiteConfig: Readonly<Record<string, string>> = {
  linuxfxversion: 'LinuxFxVersion',
  windowsfxversion: 'WindowsFxVersion',
  netframeworkversion: 'NetFrameworkVersion',
  javaversion: 'JavaVersion',
  nodeversion: 'NodeVersion',
  powershellversion: 'PowerShellVersion',
  pythonversion: 'PythonVersion',
  ftpsstate: 'FtpsState',
  functionappscalelimit: 'FunctionAppScaleLimit',
};

const runtimeNames = ['dotnet-isolated', 'node', 'java', 'powershell', 'python', 'custom'];
const authenticationTypes = ['SystemAssignedIdentity', 'UserAssignedIdentity', 'StorageAccountConnectionString'];
const instanceMemorySizes = [512, 2048, 4096];

/** The 400 for app settings Flex refuses (names compare case-insensitively, as settings do). */
export function flexAppSettingsProblem(names: Iterable<string>): ArmError | undefined {
  const refused = [...names].filter((name) => (flexRefusedAppSettings as readonly string[]).includes(name.toUpperCase()));
  return refused.length === 0 ? undefined : invalidForFlex(refused.map((name) => `Site.SiteConfig.AppSettings.${name}`), 'app setting', 'app settings');
}

export function flexSiteConfigProblem(siteConfig: JsonObject): ArmError | undefined {
  const refused = Object.keys(siteConfig)
    .filter((name) => siteConfig[name] !== null && siteConfig[name] !== undefined)
    .flatMap((name) => {
      const wireName = refusedSiteConfig[name.toLowerCase()];
      return wireName === undefined ? [] : [`Site.SiteConfig.${wireName}`];
    });
  return refused.length === 0 ? undefined : invalidForFlex(refused, 'site configuration property', 'site configuration properties');
}

/** Checks a Flex site's functionAppConfig: a blob container to deploy from and a runtime. */
export function parseFlexFunctionAppConfig(value: JsonObject | undefined): JsonObject {
  if (value === undefined) throw badRequest("A Flex Consumption site needs 'properties.functionAppConfig' with its deployment storage and runtime.");
  const deployment = optionalObject(value, 'deployment', 'functionAppConfig.deployment');
  const storage = deployment === undefined ? undefined : optionalObject(deployment, 'storage', 'functionAppConfig.deployment.storage');
  if (storage === undefined) throw badRequest("A Flex Consumption site needs 'functionAppConfig.deployment.storage' (type 'blobContainer', value: the container's URL, authentication).");
  const type = optionalString(storage, 'type', 'functionAppConfig.deployment.storage.type');
  if (type?.toLowerCase() !== 'blobcontainer') throw badRequest("'functionAppConfig.deployment.storage.type' must be 'blobContainer'.");
  const container = optionalString(storage, 'value', 'functionAppConfig.deployment.storage.value');
  if (container === undefined || !isAbsoluteUrl(container)) throw badRequest("'functionAppConfig.deployment.storage.value' must be the URL of a blob container.");
  const authentication = optionalObject(storage, 'authentication', 'functionAppConfig.deployment.storage.authentication');
  if (authentication === undefined) throw badRequest("'functionAppConfig.deployment.storage.authentication' is required (its 'type' says how the platform reaches the container).");
  const authenticationType = optionalString(authentication, 'type', 'functionAppConfig.deployment.storage.authentication.type');
  const knownType = authenticationTypes.find((known) => known.toLowerCase() === authenticationType?.toLowerCase());
  if (knownType === undefined) throw badRequest(`'functionAppConfig.deployment.storage.authentication.type' must be one of ${authenticationTypes.join(', ')}.`);
  if (knownType === 'UserAssignedIdentity' && optionalString(authentication, 'userAssignedIdentityResourceId') === undefined) {
    throw badRequest("UserAssignedIdentity deployment storage authentication needs 'userAssignedIdentityResourceId'.");
  }
  if (knownType === 'StorageAccountConnectionString' && optionalString(authentication, 'storageAccountConnectionStringName') === undefined) {
    throw badRequest("StorageAccountConnectionString deployment storage authentication needs 'storageAccountConnectionStringName' (the app setting holding it).");
  }
  const runtime = optionalObject(value, 'runtime', 'functionAppConfig.runtime');
  const runtimeName = runtime === undefined ? undefined : optionalString(runtime, 'name', 'functionAppConfig.runtime.name');
  const runtimeVersion = runtime === undefined ? undefined : optionalString(runtime, 'version', 'functionAppConfig.runtime.version');
  if (runtimeName === undefined || runtimeVersion === undefined) throw badRequest("A Flex Consumption site needs 'functionAppConfig.runtime' with 'name' and 'version' (e.g. { name: 'node', version: '22' }).");
  if (!runtimeNames.includes(runtimeName.toLowerCase())) throw badRequest(`'functionAppConfig.runtime.name' must be one of ${runtimeNames.join(', ')}, not '${runtimeName}'.`);
  const scale = optionalObject(value, 'scaleAndConcurrency', 'functionAppConfig.scaleAndConcurrency');
  if (scale !== undefined) {
    const memory = optionalInteger(scale, 'instanceMemoryMB', 'functionAppConfig.scaleAndConcurrency.instanceMemoryMB');
    if (memory !== undefined && !instanceMemorySizes.includes(memory)) throw badRequest(`'instanceMemoryMB' must be one of ${instanceMemorySizes.join(', ')}.`);
    const maximum = optionalInteger(scale, 'maximumInstanceCount', 'functionAppConfig.scaleAndConcurrency.maximumInstanceCount');
    if (maximum !== undefined && (maximum < 1 || maximum > 1000)) throw badRequest("'maximumInstanceCount' must be 1 to 1000.");
  }
  return value;
}

/** The worker runtime a site's code runs on: Flex names it in functionAppConfig, other plans in settings or linuxFxVersion. */
export function workerRuntimeOf(functionAppConfig: JsonObject | undefined, appSettings: Readonly<Record<string, string>>, siteConfig: JsonObject): string | undefined {
  if (functionAppConfig !== undefined) {
    const runtime = functionAppConfig['runtime'];
    return isObject(runtime) && typeof runtime['name'] === 'string' ? runtime['name'].toLowerCase() : undefined;
  }
  const setting = Object.entries(appSettings).find(([name]) => name.toUpperCase() === 'FUNCTIONS_WORKER_RUNTIME')?.[1];
  if (setting !== undefined) return setting.toLowerCase();
  const fx = siteConfig['linuxFxVersion'];
  return typeof fx === 'string' && fx.includes('|') ? fx.split('|')[0]!.toLowerCase() : undefined;
}

function invalidForFlex(names: readonly string[], one: string, many: string): ArmError {
  if (names.length === 1) return badRequest(`The following ${one} (${names[0]}) for Flex Consumption sites is invalid. Please remove or rename it before retrying.`);
  return badRequest(`The following list of ${names.length} ${many} (${names.join(', ')}) for Flex Consumption sites is invalid. Please remove or rename them before retrying.`);
}

function isAbsoluteUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

