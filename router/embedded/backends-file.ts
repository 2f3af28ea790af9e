import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RouterError } from '../../shared/errors/router-error.js';
import { parseRouteKey, parseVersion, routeKeyOf } from '../../shared/versions/semantic-version.js';

/**
 * The versions `start --backends <file>` releases at start when they are not deployed yet (see
 * seed-releases.ts): each names an app directory. Entries naming an app already running at a URL
 * are still parsed, so that the error says why they are refused.
 */
export type BackendSpec =
  | { readonly version: string; readonly appDir: string }
  | { readonly version: string; readonly url: string; readonly taskHub: string };

export interface BackendsFile {
  readonly current: string | undefined;
  readonly backends: readonly BackendSpec[];
}

export async function readBackendsFile(file: string): Promise<BackendsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new RouterError('INVALID_CONFIGURATION', `Cannot read the backends file ${file}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RouterError('INVALID_CONFIGURATION', `The backends file ${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseBackends(json, path.dirname(path.resolve(file)), file);
}

/** Validates a backends document; relative app directories are taken from `baseDir`. */
export function parseBackends(json: unknown, baseDir: string, source = 'the backends file'): BackendsFile {
  const fail = (message: string): never => {
    throw new RouterError('INVALID_CONFIGURATION', `${source}: ${message}`);
  };
  if (!isObject(json)) return fail('expected an object { "current"?: "1.1", "backends": [...] }.');
  if (!Array.isArray(json.backends) || json.backends.length === 0) return fail('"backends" must be a non-empty array.');
  const seen = new Set<string>();
  const backends = json.backends.map((item: unknown, index: number): BackendSpec => {
    const at = `backends[${index}]`;
    if (!isObject(item) || typeof item.version !== 'string') return fail(`${at} needs a "version" such as "1.0.0".`);
    const version = parseVersion(item.version).text;
    const routeKey = routeKeyOf(version);
    if (seen.has(routeKey)) return fail(`${at}: ${routeKey} is listed twice; each major.minor has one app.`);
    seen.add(routeKey);
    if (typeof item.appDir === 'string' && item.url === undefined) {
      return { version, appDir: path.resolve(baseDir, item.appDir) };
    }
    if (typeof item.url === 'string' && item.appDir === undefined) {
      if (!/^https?:\/\//.test(item.url)) return fail(`${at}.url must be an http(s) URL.`);
      if (typeof item.taskHub !== 'string' || !/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(item.taskHub)) {
        return fail(`${at}.taskHub must name the app's task hub (3-45 letters and digits, starting with a letter).`);
      }
      return { version, url: item.url.replace(/\/+$/, ''), taskHub: item.taskHub };
    }
    return fail(`${at} needs exactly one of "appDir" (run it in the local host) or "url" (an app already running).`);
  });
  let current: string | undefined;
  if (json.current !== undefined) {
    if (typeof json.current !== 'string') return fail('"current" must be a major.minor such as "1.1".');
    current = parseRouteKey(json.current);
    if (!seen.has(current)) return fail(`"current" is ${current}, which no backend provides.`);
  }
  return { current, backends };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
