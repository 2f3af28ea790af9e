/**
 * The parts of host.json the local host uses: `extensions.http.routePrefix` and
 * `extensions.durableTask`. As in the Functions host, `AzureFunctionsJobHost__a__b` environment
 * variables override host.json values (keys match case-insensitively), and a durableTask value
 * written entirely as `%SettingName%` is replaced by that app setting (how `hubName` is usually
 * set per environment). Everything Azure-only (`extensionBundle`, `logging`, `functionTimeout`,
 * other extensions, ...) is accepted and ignored.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';

export interface HostConfig {
  readonly routePrefix: string;
  readonly durableTask: Readonly<Record<string, unknown>> | undefined;
  /** Dotted paths of settings that were accepted but have no effect locally. */
  readonly ignored: readonly string[];
}

type JsonObject = Record<string, unknown>;

const overridePrefix = 'azurefunctionsjobhost__';
const defaultRoutePrefix = 'api';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findKey(object: JsonObject, key: string): string | undefined {
  const lower = key.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower);
}

/** A string from the environment keeps the type of the host.json value it replaces. */
function coerceLike(existing: unknown, value: string): unknown {
  if (typeof existing === 'number' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (typeof existing === 'boolean' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

function applyOverrides(config: JsonObject, env: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.toLowerCase().startsWith(overridePrefix)) continue;
    const keys = name.slice(overridePrefix.length).split('__').filter((k) => k !== '');
    if (keys.length === 0) continue;
    let target = config;
    for (const key of keys.slice(0, -1)) {
      const existing = findKey(target, key);
      const next = existing === undefined ? undefined : target[existing];
      if (isObject(next)) {
        target = next;
      } else {
        const created: JsonObject = {};
        target[existing ?? key] = created;
        target = created;
      }
    }
    const leaf = keys[keys.length - 1] as string;
    const existingLeaf = findKey(target, leaf);
    target[existingLeaf ?? leaf] = coerceLike(existingLeaf === undefined ? undefined : target[existingLeaf], value);
  }
}

function resolveSettingReferences(value: unknown, env: Readonly<Record<string, string | undefined>>, where: string): unknown {
  if (typeof value === 'string') {
    const reference = /^%([^%]+)%$/.exec(value);
    if (!reference) return value;
    const name = reference[1] as string;
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new RouterError(
        'INVALID_CONFIGURATION',
        `host.json ${where} refers to the app setting "${name}", which is not set (add it to local.settings.json "Values" or the environment).`,
      );
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveSettingReferences(item, env, `${where}[${i}]`));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSettingReferences(v, env, `${where}.${k}`)]));
  }
  return value;
}

/** Interprets host.json's parsed JSON with the app's settings (environment after local.settings.json). */
export function parseHostConfig(json: unknown, env: Readonly<Record<string, string | undefined>>): HostConfig {
  if (!isObject(json)) throw new RouterError('INVALID_CONFIGURATION', 'host.json must hold a JSON object.');
  const config = structuredClone(json);
  applyOverrides(config, env);

  const versionKey = findKey(config, 'version');
  const version = versionKey === undefined ? undefined : config[versionKey];
  if (version !== '2.0') {
    throw new RouterError(
      'INVALID_CONFIGURATION',
      version === undefined
        ? 'host.json is missing the required "version": "2.0".'
        : `host.json has "version": ${JSON.stringify(version)}; only "2.0" (Functions runtime 2.x and later) is supported.`,
    );
  }

  const ignored: string[] = [];
  for (const key of Object.keys(config)) {
    if (!['version', 'extensions'].includes(key.toLowerCase())) ignored.push(key);
  }

  const extensionsKey = findKey(config, 'extensions');
  const extensions = extensionsKey === undefined ? {} : config[extensionsKey];
  if (!isObject(extensions)) throw new RouterError('INVALID_CONFIGURATION', 'host.json "extensions" must be an object.');
  for (const key of Object.keys(extensions)) {
    if (!['http', 'durabletask'].includes(key.toLowerCase())) ignored.push(`extensions.${key}`);
  }

  let routePrefix = defaultRoutePrefix;
  const httpKey = findKey(extensions, 'http');
  const http = httpKey === undefined ? undefined : extensions[httpKey];
  if (http !== undefined) {
    if (!isObject(http)) throw new RouterError('INVALID_CONFIGURATION', 'host.json "extensions.http" must be an object.');
    for (const key of Object.keys(http)) {
      if (key.toLowerCase() !== 'routeprefix') ignored.push(`extensions.http.${key}`);
    }
    const prefixKey = findKey(http, 'routePrefix');
    if (prefixKey !== undefined) {
      const prefix = http[prefixKey];
      if (typeof prefix !== 'string') {
        throw new RouterError('INVALID_CONFIGURATION', 'host.json "extensions.http.routePrefix" must be a string ("" for none).');
      }
      routePrefix = prefix.replace(/^\/+|\/+$/g, '');
    }
  }

  const durableKey = findKey(extensions, 'durableTask');
  const durable = durableKey === undefined ? undefined : extensions[durableKey];
  if (durable !== undefined && !isObject(durable)) {
    throw new RouterError('INVALID_CONFIGURATION', 'host.json "extensions.durableTask" must be an object.');
  }
  const durableTask = durable === undefined ? undefined : (resolveSettingReferences(durable, env, 'extensions.durableTask') as JsonObject);

  return { routePrefix, durableTask, ignored };
}

export async function readHostConfig(appDir: string, env: Readonly<Record<string, string | undefined>>): Promise<HostConfig> {
  const file = path.join(appDir, 'host.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RouterError('INVALID_CONFIGURATION', `No host.json in ${appDir}: a Functions app needs one (at least {"version": "2.0"}).`);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new RouterError('INVALID_CONFIGURATION', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseHostConfig(json, env);
}
