/**
 * What infra/main.bicep gives each process: the control plane Function App's `appSettings`, the
 * front door container's `env` and the container app's `secrets`, read with BicepText. Only the
 * shapes the template uses are accepted (one site, one container app, literal lists of
 * `{ name: '<NAME>', value: <expr> }` or `{ name: '<NAME>', secretRef: '<secret>' }`).
 */
import { BicepShapeError, BicepText, plainString, type Declaration, type Property } from './bicep-text.js';

export interface TemplateSetting {
  readonly name: string;
  /** The Bicep expression of its value, or undefined when it comes from a secret. */
  readonly value: string | undefined;
  readonly secretRef: string | undefined;
  readonly line: number;
}

export interface TemplateSettings {
  readonly declarations: readonly Declaration[];
  readonly controlPlane: readonly TemplateSetting[];
  readonly frontDoor: readonly TemplateSetting[];
  /** The container app's secrets: name to the Bicep expression of its value. */
  readonly frontDoorSecrets: ReadonlyMap<string, string>;
}

const siteType = 'Microsoft.Web/sites';
const containerAppType = 'Microsoft.App/containerApps';

export function readTemplateSettings(file: string, text: string): TemplateSettings {
  const bicep = new BicepText(file, text);
  const declarations = bicep.declarations();
  const resources = declarations.filter((declaration) => declaration.kind === 'resource');
  for (const resource of resources) {
    const type = resource.type.split('@')[0] ?? '';
    if (type.startsWith(`${siteType}/`) || type.startsWith(`${containerAppType}/`)) {
      throw new BicepShapeError(`${file}:${resource.line}: ${resource.type} can set settings in a way this test does not read; set them in the ${siteType} or ${containerAppType} resource`);
    }
  }
  const site = only(resources, siteType, file);
  const containerApp = only(resources, containerAppType, file);

  const controlPlane = settingsOf(listIn(bicep, site, 'appSettings', file), `${file}: the control plane's appSettings`);
  const frontDoor = settingsOf(listIn(bicep, containerApp, 'env', file), `${file}: the front door's env`);
  const secrets = new Map<string, string>();
  for (const properties of listIn(bicep, containerApp, 'secrets', file)) {
    const { name, value } = exactly(properties, ['name', 'value'], `${file}: a container app secret`) as { name: Property; value: Property };
    const secretName = plainString(name.value);
    if (secretName === undefined) throw new BicepShapeError(`${file}:${name.line}: a secret's name must be a plain string, not ${name.value}`);
    if (secrets.has(secretName)) throw new BicepShapeError(`${file}:${name.line}: the secret ${secretName} is declared twice`);
    secrets.set(secretName, value.value);
  }
  return { declarations, controlPlane, frontDoor, frontDoorSecrets: secrets };
}

function only(resources: readonly Declaration[], type: string, file: string): Declaration {
  const found = resources.filter((resource) => resource.type.split('@')[0] === type);
  if (found.length !== 1) throw new BicepShapeError(`${file}: expected exactly one ${type} resource, found ${found.length}`);
  return found[0] as Declaration;
}

function listIn(bicep: BicepText, resource: Declaration, key: string, file: string): Property[][] {
  const open = bicep.bodyStart(resource.valueStart);
  const property = bicep.findProperty(key, open, bicep.bodyEnd(open));
  if (property === undefined) throw new BicepShapeError(`${file}:${resource.line}: the ${resource.type} resource has no "${key}:" list`);
  return bicep.listOfObjects(property.valueStart, `${file}:${property.line}: ${key}`);
}

function settingsOf(objects: readonly Property[][], what: string): TemplateSetting[] {
  const settings: TemplateSetting[] = [];
  for (const properties of objects) {
    const keys = properties.map((property) => property.key);
    const name = properties.find((property) => property.key === 'name');
    const value = properties.find((property) => property.key === 'value');
    const secretRef = properties.find((property) => property.key === 'secretRef');
    const line = properties[0]?.line ?? 0;
    const unknown = keys.filter((key) => !['name', 'value', 'secretRef'].includes(key));
    if (unknown.length > 0 || new Set(keys).size !== keys.length || name === undefined || (value === undefined) === (secretRef === undefined)) {
      throw new BicepShapeError(`${what}, line ${line}: expected { name, value } or { name, secretRef }, found { ${keys.join(', ')} }`);
    }
    const settingName = plainString(name.value);
    if (settingName === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(settingName)) {
      throw new BicepShapeError(`${what}, line ${name.line}: a setting's name must be a plain string of letters, digits and "_", not ${name.value}`);
    }
    const ref = secretRef === undefined ? undefined : plainString(secretRef.value);
    if (secretRef !== undefined && ref === undefined) throw new BicepShapeError(`${what}, line ${secretRef.line}: secretRef must be a plain string, not ${secretRef.value}`);
    if (settings.some((setting) => setting.name.toLowerCase() === settingName.toLowerCase())) {
      throw new BicepShapeError(`${what}, line ${name.line}: ${settingName} is set twice (names compare case-insensitively)`);
    }
    settings.push({ name: settingName, value: value?.value, secretRef: ref, line: name.line });
  }
  return settings;
}

function exactly(properties: readonly Property[], keys: readonly string[], what: string): Record<string, Property> {
  const found = properties.map((property) => property.key);
  if (found.length !== keys.length || !keys.every((key) => found.includes(key))) {
    throw new BicepShapeError(`${what}, line ${properties[0]?.line ?? 0}: expected { ${keys.join(', ')} }, found { ${found.join(', ')} }`);
  }
  return Object.fromEntries(properties.map((property) => [property.key, property]));
}
