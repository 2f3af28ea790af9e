/**
 * infra/ against the code, without the Bicep compiler: every setting the code reads is set by the
 * templates (or listed here with a reason), every setting the templates set is read; the keys are
 * secure parameters shared where they must be; every resource has an API version; every parameter
 * has a value. And what the templates set passes the code's own settings readers.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { azureSettingNames, readAzurePlatformSettings } from '../../deployer/platform/azure/azure-platform-settings.js';
import { defaultPackageContainer } from '../../deployer/platform/azure/azure-platform-options.js';
import { defaultPackageLimits } from '../../deployer/platform/package/package-limits.js';
import { appNamePrefixPattern, controlPlaneTaskHubFor } from '../../router/app-configuration/app-naming.js';
import { routerAppSettings } from '../../router/app-configuration/app-settings.js';
import { writeControlPlaneAppDirectory } from '../../router/control-plane/control-plane-app-directory.js';
import { controlPlaneSettingNames, readControlPlaneSettings } from '../../router/control-plane/control-plane-settings.js';
import { readServeSettings, serveSettingNames } from '../../router/serve/serve-settings.js';
import { defaultAppKeyTableName } from '../../shared/stores/table-app-key-store.js';
import { defaultVersionMapTableName } from '../../shared/stores/table-version-map-store.js';
import { defaultTrackingStoreNamePrefix, trackingTableNames } from '../../shared/tracking-store/tracking-store-schema.js';
import { BicepShapeError, BicepText, plainString, type Declaration } from './bicep/bicep-text.js';
import { sampleValue, type SampleContext } from './bicep/sample-values.js';
import { readTemplateSettings, type TemplateSetting, type TemplateSettings } from './bicep/template-settings.js';
import { reconciliationProblems, type Reconciliation, type Reasons } from './settings-reconciliation.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const infra = path.join(root, 'infra');
const mainFile = path.join(infra, 'main.bicep');

/** Settings read by our code that the templates leave out on purpose, by process. */
const frontDoorNotSet: Record<string, Reasons> = {
  'an alternative': {
    [serveSettingNames.storage]: 'the front door reaches storage with its identity (ROUTER_STORAGE__tableServiceUri); a connection string is the other way',
    [serveSettingNames.storageAccount]: 'the short identity-based form; the template gives the account\'s own Table endpoint instead',
  },
  'optional tuning': {
    [serveSettingNames.trustedProxies]: 'ROUTER_PUBLIC_URL is set, so the URLs the router hands out never come from X-Forwarded-Host; list the environment\'s ingress addresses to pass clients\' X-Forwarded-For on to the apps',
    [serveSettingNames.trackingStorePrefix]: 'the default prefix, as on the control plane: set both or neither',
    [serveSettingNames.upstreamTimeout]: 'default 30 s from a request\'s arrival',
    [serveSettingNames.connectionsPerApp]: 'default 64 connections to each app',
    [serveSettingNames.queuePerApp]: 'default 256 requests waiting for one app',
  },
};

const controlPlaneNotSet: Record<string, Reasons> = {
  'an alternative': {
    [azureSettingNames.packageStorage]: 'ROUTER_STORAGE holds the packages: one account (the apps hold its key anyway, as their AzureWebJobsStorage)',
  },
  'optional tuning': {
    [controlPlaneSettingNames.appQuota]: 'the default, the routing guidance\'s 100 apps per subscription',
    [controlPlaneSettingNames.drainPollMs]: 'default 5 s',
    [controlPlaneSettingNames.decommissionGraceMs]: 'default 10 s',
    [controlPlaneSettingNames.healthTimeoutMs]: 'default 60 s',
    [controlPlaneSettingNames.healthIntervalMs]: 'default 500 ms',
    [controlPlaneSettingNames.mapPropagationMs]: 'default 2 s',
    [controlPlaneSettingNames.trackingStorePrefix]: 'the default prefix, as on the front door: set both or neither',
    [azureSettingNames.pollIntervalMs]: 'default 2 s between polls of ARM operations',
  },
  'a secure default': {
  },
  'test-only': {
    [controlPlaneSettingNames.packageTestLoopbackHosts]: 'tests serve packages from 127.0.0.1; never loopback in production',
    [azureSettingNames.armEndpoint]: 'a loopback fake ARM; on Azure the SDK\'s own endpoint',
    [azureSettingNames.armToken]: 'the fake ARM\'s token; on Azure the identity gives tokens',
  },
  'local-platform-only': {
    [controlPlaneSettingNames.platformRoot]: 'where the local platform keeps apps',
    [controlPlaneSettingNames.appPorts]: 'ports of local apps',
    [controlPlaneSettingNames.packageDirs]: 'folders on the control plane\'s own disk; on Azure releases upload their packages',
  },
};

const frontDoorReadByPlatform: Reasons = {
  AZURE_CLIENT_ID: 'DefaultAzureCredential: which user-assigned identity to use',
};

const controlPlaneReadByPlatform: Reasons = {
  AzureWebJobsStorage: 'the Functions host and Durable Functions: the control plane\'s own task hub',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'the Functions host sends its telemetry there',
  AZURE_CLIENT_ID: 'DefaultAzureCredential: which user-assigned identity to use',
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 'the Functions host\'s request body limit: release uploads up to the package limit',
};

const durableTask = 'AzureFunctionsJobHost__extensions__durableTask';
const appsReadByPlatform: Reasons = {
  AzureWebJobsStorage: 'the Functions host and Durable Functions: the app\'s task hub and the shared tracking store',
  [`${durableTask}__hubName`]: 'the Functions host reads AzureFunctionsJobHost__* as host.json overrides',
  [`${durableTask}__storageProvider__trackingStoreConnectionName`]: 'a host.json override: the shared tracking store',
  [`${durableTask}__storageProvider__trackingStoreNamePrefix`]: 'a host.json override: the shared tracking store',
  [`${durableTask}__defaultVersion`]: 'a host.json override: the version each orchestration records',
};

/** The values of the secrets: what `openssl rand -hex 32` gives. */
const sampleKeys: Record<string, string> = {
  adminKey: 'a0'.repeat(32),
  durableKey: 'b1'.repeat(32),
  functionKey: 'c2'.repeat(32),
  secretsKey: 'd3'.repeat(32),
  controlPlaneKey: 'e4'.repeat(32),
};

/** What only Azure knows when it deploys. */
const azureSamples: Record<string, string> = {
  'storage.name': 'stdrexample',
  'storage.properties.primaryEndpoints.table': 'https://stdrexample.table.core.windows.net/',
  'storage.listKeys().keys[0].value': Buffer.alloc(64, 7).toString('base64'),
  'environment().suffixes.storage': 'core.windows.net',
  'insights.properties.ConnectionString': 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
  'controlPlaneIdentity.properties.clientId': '11111111-1111-1111-1111-111111111111',
  'frontDoorIdentity.properties.clientId': '22222222-2222-2222-2222-222222222222',
  'subscription().subscriptionId': '22222222-2222-2222-2222-222222222222',
  'controlPlane.properties.defaultHostName': 'dr-prod-control-abcdefghijklm.azurewebsites.net',
  'managedEnvironment.properties.defaultDomain': 'happy-river-1234.westeurope.azurecontainerapps.io',
  'take(uniqueString(subscription().id, resourceGroup().id, routerId), 10)': 'abcdefghij',
  'resourceGroup().location': 'westeurope',
  'resourceGroup().name': 'rg-durable-router',
};

const secretSettingNames = [
  serveSettingNames.adminKey, serveSettingNames.durableKey, serveSettingNames.functionKey, serveSettingNames.secretsKey, serveSettingNames.controlPlaneKey,
];

interface Infra {
  readonly text: string;
  readonly templates: TemplateSettings;
  readonly params: ReadonlyMap<string, Declaration>;
  readonly parameterFile: Record<string, { value: unknown }>;
  readonly readme: string;
}

async function loadInfra(text?: string): Promise<Infra> {
  const source = text ?? await readFile(mainFile, 'utf8');
  const templates = readTemplateSettings('infra/main.bicep', source);
  const params = new Map(templates.declarations.filter((declaration) => declaration.kind === 'param').map((declaration) => [declaration.name, declaration]));
  const parameterFile = (JSON.parse(await readFile(path.join(infra, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> }).parameters;
  return { text: source, templates, params, parameterFile, readme: await readFile(path.join(infra, 'README.md'), 'utf8') };
}

const names = (settings: readonly TemplateSetting[]): string[] => settings.map((setting) => setting.name);

/** `%NAME%` references in a host.json (the host resolves them from app settings). */
async function hostJsonReferences(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/%([^%"\s]+)%/g)].map((match) => match[1] ?? '');
}

async function controlPlaneHostJsonReferences(): Promise<string[]> {
  const dir = path.join(root, '.data', 'test', `infra-control-plane-app-${process.pid}`);
  await writeControlPlaneAppDirectory(dir);
  try {
    return await hostJsonReferences(path.join(dir, 'host.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function frontDoorReconciliation(templates: TemplateSettings): Reconciliation {
  return {
    process: 'front door',
    reads: Object.values(serveSettingNames),
    set: names(templates.frontDoor),
    readByPlatform: frontDoorReadByPlatform,
    notSet: frontDoorNotSet,
  };
}

async function controlPlaneReconciliation(templates: TemplateSettings): Promise<Reconciliation> {
  return {
    process: 'control plane',
    reads: [...new Set([...Object.values(controlPlaneSettingNames), ...Object.values(azureSettingNames), ...await controlPlaneHostJsonReferences()])],
    set: names(templates.controlPlane),
    readByPlatform: controlPlaneReadByPlatform,
    notSet: controlPlaneNotSet,
  };
}

function sampleContext(loaded: Infra): SampleContext {
  const params = new Map<string, string>();
  for (const [name, param] of loaded.params) {
    const fromFile = loaded.parameterFile[name];
    if (isSecure(param)) params.set(name, sampleKeys[name] ?? '');
    else if (fromFile !== undefined) params.set(name, String(fromFile.value));
  }
  const vars = new Map(loaded.templates.declarations.filter((declaration) => declaration.kind === 'var').map((declaration) => [declaration.name, declaration.value ?? '']));
  return { params, vars, samples: azureSamples };
}

function environmentOf(settings: readonly TemplateSetting[], context: SampleContext, secrets: ReadonlyMap<string, string> = new Map()): Record<string, string> {
  return Object.fromEntries(settings.map((setting) => {
    const expression = setting.value ?? secrets.get(setting.secretRef ?? '');
    assert.ok(expression !== undefined, `${setting.name} refers to the secret ${setting.secretRef}, which the container app does not declare`);
    return [setting.name, sampleValue(expression, context)];
  }));
}

const isSecure = (param: Declaration): boolean => param.decorators.includes('@secure()');

describe('infra/ against the code', () => {
  it('sets every setting the front door reads, and nothing it does not', async () => {
    const { templates } = await loadInfra();
    assert.deepEqual(reconciliationProblems(frontDoorReconciliation(templates)), []);
  });

  it('sets every setting the control plane reads (its own, the Azure platform\'s, its host.json\'s), and nothing it does not', async () => {
    const { templates } = await loadInfra();
    assert.deepEqual(reconciliationProblems(await controlPlaneReconciliation(templates)), []);
  });

  it('gives apps, through the router, every setting their host.json names, and nothing they do not read', async () => {
    const { templates } = await loadInfra();
    // The control plane gives its apps their settings (routerAppSettings) from its own ROUTER_STORAGE and ROUTER_ID.
    assert.ok(names(templates.controlPlane).includes(controlPlaneSettingNames.storage));
    assert.ok(names(templates.controlPlane).includes(controlPlaneSettingNames.routerId));
    const hostJsons = [path.join(root, 'templates', 'host.json'), path.join(root, 'templates', 'sample-app', 'host.json')].filter((file) => existsSync(file));
    assert.ok(hostJsons.length > 0, 'no app host.json under templates/');
    const reads = (await Promise.all(hostJsons.map(hostJsonReferences))).flat();
    const set = Object.keys(routerAppSettings({ routeKey: '1.2', version: '1.2.3', routerId: 'prod', storageConnectionString: 'UseDevelopmentStorage=true' }));
    assert.deepEqual(reconciliationProblems({ process: 'apps', reads, set, readByPlatform: appsReadByPlatform, notSet: {} }), []);
  });

  it('catches a setting missing from the templates and one the code does not read', async () => {
    const original = await readFile(mainFile, 'utf8');
    const renamed = original.replace("name: 'ROUTER_PUBLIC_URL'", "name: 'ROUTER_PUBLIC_URI'");
    assert.notEqual(renamed, original);
    const { templates } = await loadInfra(renamed);
    assert.deepEqual(reconciliationProblems(frontDoorReconciliation(templates)), [
      'front door: reads ROUTER_PUBLIC_URL, which the templates do not set and no list explains',
      'front door: the templates set ROUTER_PUBLIC_URI, which nothing reads',
    ]);
    const { templates: real } = await loadInfra();
    const twice = reconciliationProblems({ ...frontDoorReconciliation(real), readByPlatform: { ...frontDoorReadByPlatform, ROUTER_TRACKING_STORE_PREFIX: 'a wrong entry' } });
    assert.deepEqual(twice, [
      'front door: ROUTER_TRACKING_STORE_PREFIX is listed as read by the platform and listed as optional tuning',
      'front door: ROUTER_TRACKING_STORE_PREFIX is read by our code, not only by the platform',
      'front door: ROUTER_TRACKING_STORE_PREFIX is listed as read by the platform but the templates do not set it',
    ]);
    const setAndListed = reconciliationProblems({ ...frontDoorReconciliation(real), notSet: { ...frontDoorNotSet, 'optional tuning': { ROUTER_PORT: 'a wrong entry' } } });
    assert.deepEqual(setAndListed, [
      'front door: ROUTER_PORT is set by the templates and listed as optional tuning',
      'front door: reads ROUTER_TRUSTED_PROXIES, which the templates do not set and no list explains',
      'front door: reads ROUTER_TRACKING_STORE_PREFIX, which the templates do not set and no list explains',
      'front door: reads ROUTER_UPSTREAM_TIMEOUT, which the templates do not set and no list explains',
      'front door: reads ROUTER_CONNECTIONS_PER_APP, which the templates do not set and no list explains',
      'front door: reads ROUTER_QUEUE_PER_APP, which the templates do not set and no list explains',
    ]);
  });

  it('fails loudly on a settings list written in a shape the reader does not know', async () => {
    const original = await readFile(mainFile, 'utf8');
    const spread = original.replace("appSettings: [", "appSettings: concat(extraSettings, [");
    assert.throws(() => readTemplateSettings('main.bicep', spread), BicepShapeError);
    const computedName = original.replace("name: 'ROUTER_ID'", "name: 'ROUTER_${toUpper('id')}'");
    assert.throws(() => readTemplateSettings('main.bicep', computedName), /a setting's name must be a plain string/);
    const loop = original.replace(/env: \[\n/, 'env: [for setting in extra: {\n name: setting.name\n value: setting.value\n}]\nignored: [\n');
    assert.throws(() => readTemplateSettings('main.bicep', loop), BicepShapeError);
    const configResource = `${original}\nresource more 'Microsoft.Web/sites/config@2024-04-01' = {\n  name: 'appsettings'\n  parent: controlPlane\n  properties: {}\n}\n`;
    assert.throws(() => readTemplateSettings('main.bicep', configResource), /can set settings in a way this test does not read/);
  });

  it('passes what the templates set through the code\'s own settings readers', async () => {
    const loaded = await loadInfra();
    const context = sampleContext(loaded);
    const frontDoorEnv = environmentOf(loaded.templates.frontDoor, context, loaded.templates.frontDoorSecrets);
    const serve = readServeSettings(frontDoorEnv);
    assert.deepEqual(serve.storage, { kind: 'identity', tableUrl: 'https://stdrexample.table.core.windows.net' });
    assert.equal(serve.host, '0.0.0.0');
    assert.equal(serve.publicUrl, `https://dr-${context.params.get('routerId')}-frontdoor.${azureSamples['managedEnvironment.properties.defaultDomain']}`);
    assert.equal(serve.controlPlane.url, `https://${azureSamples['controlPlane.properties.defaultHostName']}`);

    const controlPlaneEnv = environmentOf(loaded.templates.controlPlane, context);
    const controlPlane = readControlPlaneSettings(controlPlaneEnv);
    assert.equal(controlPlane.platform.kind, 'azure');
    const azure = readAzurePlatformSettings(controlPlaneEnv);
    assert.equal(azure.packageStorage.container, defaultPackageContainer);
    assert.equal(azure.packageStorage.connectionString, controlPlane.storage);
    assert.equal(controlPlaneEnv[controlPlaneSettingNames.taskHub], controlPlaneTaskHubFor(controlPlane.routerId));
    assert.equal(controlPlane.key, serve.controlPlane.key);
    assert.equal(controlPlane.secretsKey, serve.secretsKey);

    const bicep = new BicepText('infra/main.bicep', loaded.text);
    const port = bicep.findProperty('targetPort', 0, loaded.text.length);
    assert.ok(port !== undefined, 'the container app has no ingress targetPort');
    assert.equal(String(serve.port), sampleValue(port.value, context), 'ingress goes to the port the front door listens on');
  });

  it('lets the control plane\'s host take release uploads up to the package limit, as startControlPlane does locally', async () => {
    const { templates } = await loadInfra();
    const limit = templates.controlPlane.find((setting) => setting.name === 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT');
    assert.equal(limit?.value, `'${defaultPackageLimits.maxCompressedBytes}'`);
  });

  it('derives a default app name prefix within the router\'s rule', async () => {
    const loaded = await loadInfra();
    const prefix = loaded.params.get('appNamePrefix');
    assert.ok(prefix?.value !== undefined, 'appNamePrefix has no default');
    assert.match(prefix.value, /uniqueString\(/, 'names are global on Azure: the default must be unique');
    assert.match(sampleValue(prefix.value, sampleContext(loaded)), appNamePrefixPattern);
  });

  it('keeps every key a secure parameter, the same one on both sides where they must agree', async () => {
    const { templates, params, parameterFile, readme } = await loadInfra();
    const secureParam = (expression: string | undefined, what: string): string => {
      const param = expression === undefined ? undefined : params.get(expression.trim());
      assert.ok(param !== undefined && isSecure(param), `${what} must be a @secure() parameter, not ${expression}`);
      assert.equal(param.value, undefined, `the secure parameter ${param.name} has a default: a secret in the template`);
      return param.name;
    };
    const frontDoor = new Map<string, string>();
    for (const name of secretSettingNames) {
      const setting = templates.frontDoor.find((candidate) => candidate.name === name);
      assert.ok(setting !== undefined, `the front door gets no ${name}`);
      assert.ok(setting.secretRef !== undefined, `the front door's ${name} must come from a container app secret, not a plain value`);
      frontDoor.set(name, secureParam(templates.frontDoorSecrets.get(setting.secretRef), `the secret ${setting.secretRef}`));
    }
    for (const [secret, expression] of templates.frontDoorSecrets) secureParam(expression, `the container app secret ${secret}`);
    for (const name of [serveSettingNames.controlPlaneKey, serveSettingNames.secretsKey]) {
      const setting = templates.controlPlane.find((candidate) => candidate.name === name);
      assert.ok(setting !== undefined, `the control plane gets no ${name}`);
      assert.equal(secureParam(setting.value, `the control plane's ${name}`), frontDoor.get(name), `${name} must be the same parameter on both sides`);
    }
    for (const param of params.values()) {
      if (!isSecure(param)) continue;
      assert.equal(parameterFile[param.name], undefined, `main.parameters.json holds the secret ${param.name}`);
      assert.match(readme, new RegExp(`\\b${param.name}=`), `infra/README.md does not say how to pass ${param.name}`);
    }
  });

  it('gives every parameter a value: a default, main.parameters.json, or a secure one passed as the guide says', async () => {
    const { params, parameterFile, readme } = await loadInfra();
    for (const param of params.values()) {
      const given = param.value !== undefined || parameterFile[param.name] !== undefined || (isSecure(param) && new RegExp(`\\b${param.name}=`).test(readme));
      assert.ok(given, `the parameter ${param.name} has no default, no value in main.parameters.json, and is not a secure one the guide passes`);
    }
    for (const name of Object.keys(parameterFile)) assert.ok(params.has(name), `main.parameters.json sets ${name}, which main.bicep does not declare`);
  });

  it('names an API version on every resource and a role\'s name beside every role id', async () => {
    const files = (await readdir(infra, { recursive: true })).filter((file) => file.endsWith('.bicep'));
    assert.ok(files.length >= 1);
    for (const file of files) {
      const text = await readFile(path.join(infra, file), 'utf8');
      const declarations = new BicepText(file, text).declarations();
      for (const resource of declarations.filter((declaration) => declaration.kind === 'resource')) {
        assert.match(resource.type, /^[A-Za-z]+\.[A-Za-z]+\/[A-Za-z/]+@\d{4}-\d{2}-\d{2}(-preview)?$/, `${file}:${resource.line}: ${resource.name} has no explicit API version`);
      }
      for (const declaration of declarations.filter((candidate) => candidate.kind === 'module')) {
        assert.ok(existsSync(path.join(infra, path.dirname(file), declaration.type)), `${file}:${declaration.line}: module ${declaration.type} is missing`);
      }
      for (const [index, line] of text.split('\n').entries()) {
        if (/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/.test(line)) {
          assert.match(line, /\/\/ [A-Z]/, `${file}:${index + 1}: a role id without its role's name in a comment`);
        }
      }
    }
  });

  it('runs the front door as the issue asks: two replicas at least, health and readiness probes, external ingress', async () => {
    const { text } = await loadInfra();
    const bicep = new BicepText('infra/main.bicep', text);
    assert.equal(bicep.findProperty('minReplicas', 0, text.length)?.value, '2');
    assert.equal(bicep.findProperty('external', 0, text.length)?.value, 'true');
    const probes = bicep.findProperty('probes', 0, text.length);
    assert.ok(probes !== undefined, 'the front door has no probes');
    const byType = new Map(bicep.listOfObjects(probes.valueStart, 'probes').map((properties) => [
      plainString(properties.find((property) => property.key === 'type')?.value ?? ''),
      properties.find((property) => property.key === 'httpGet')?.value ?? '',
    ]));
    assert.match(byType.get('Liveness') ?? '', /path: '\/healthz'/);
    assert.match(byType.get('Readiness') ?? '', /path: '\/readyz'/);
  });

  it('scopes the front door\'s table role to the tables the code reads, by the code\'s names', async () => {
    const text = await readFile(mainFile, 'utf8');
    const tables = [...text.matchAll(/resource \w+ 'Microsoft\.Storage\/storageAccounts\/tableServices\/tables@[\d-]+' = \{\s*parent: \w+\s*name: '([^']+)'/g)].map((match) => match[1]).sort();
    assert.deepEqual(tables, [defaultAppKeyTableName, trackingTableNames(defaultTrackingStoreNamePrefix).instances, defaultVersionMapTableName].sort());
    const readerScopes = [...text.matchAll(/scope: (\w+)\s*properties: \{\s*principalId: frontDoorIdentity\.properties\.principalId\s*principalType: 'ServicePrincipal'\s*roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', (\w+)\)/g)]
      .map((match) => `${match[1]}:${match[2]}`).sort();
    assert.deepEqual(readerScopes, ['appKeysTable:storageTableDataReader', 'instancesTable:storageTableDataReader', 'registry:acrPull', 'versionMapTable:storageTableDataReader'],
      'the front door\'s roles: reading three tables, pulling its image; nothing on the account, nothing that writes');
  });
});
