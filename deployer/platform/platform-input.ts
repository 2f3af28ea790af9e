/**
 * Checks of what callers hand the Platform port, shared by every adapter so that a name or a
 * setting the local platform accepts is one Azure accepts too. Pure.
 */
import { RouterError } from '../../shared/errors/router-error.js';
import { parseRouteKey, parseVersion, routeKeyOf } from '../../shared/versions/semantic-version.js';
import { reservedTagNames, type AppSettings, type ProvisionRequest } from './platform.js';

const appNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])$/;
const tagNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const settingNamePattern = /^[A-Za-z0-9_.]{1,256}$/;
const maxTagValueLength = 256;
const maxTags = 40;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const controlCharacters = /[\u0000-\u001f\u007f]/;

/** Azure's rule for a Function App name, lower-cased so that the name is also a safe directory name. */
export function appNameProblem(name: string): string | undefined {
  if (appNamePattern.test(name)) return undefined;
  return `"${echo(name)}" is not a valid app name: use 2 to 60 lower-case letters, digits and hyphens, not starting or ending with a hyphen`;
}

export function assertAppName(name: string): void {
  const problem = appNameProblem(name);
  if (problem !== undefined) throw new RouterError('INVALID_REQUEST', `${problem}.`);
}

export function assertProvisionRequest(request: ProvisionRequest): void {
  assertAppName(request.appName);
  const routeKey = parseRouteKey(request.routeKey);
  if (routeKeyOf(parseVersion(request.version)) !== routeKey) {
    throw new RouterError('INVALID_REQUEST', `The version ${request.version} does not belong to the route key ${routeKey}.`);
  }
  const tags = Object.entries(request.tags ?? {});
  if (tags.length > maxTags) throw new RouterError('INVALID_REQUEST', `An app takes at most ${maxTags} tags, not ${tags.length}.`);
  for (const [name, value] of tags) {
    if ((reservedTagNames as readonly string[]).includes(name.toLowerCase())) {
      throw new RouterError('INVALID_REQUEST', `The tag "${name}" is kept by the platform itself; the reserved tags are ${reservedTagNames.join(', ')}.`);
    }
    if (!tagNamePattern.test(name)) {
      throw new RouterError('INVALID_REQUEST', `"${echo(name)}" is not a valid tag name: use up to 64 letters, digits, "_", "." and "-", starting with a letter or digit.`);
    }
    if (typeof value !== 'string' || value.length > maxTagValueLength || controlCharacters.test(value)) {
      throw new RouterError('INVALID_REQUEST', `The value of the tag "${name}" must be text of at most ${maxTagValueLength} characters without control characters.`);
    }
  }
}

/** Messages name the setting, never its value: values are secrets. */
export function assertSettings(settings: AppSettings): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!settingNamePattern.test(name)) {
      throw new RouterError('INVALID_REQUEST', `"${echo(name)}" is not a valid app setting name: use letters, digits, "_" and "." (use "__" for nesting, as on Linux).`);
    }
    if (typeof value !== 'string' || value.includes('\u0000')) {
      throw new RouterError('INVALID_REQUEST', `The app setting "${name}" must be a string without NUL characters.`);
    }
  }
}

function echo(text: string): string {
  const printable = text.replace(new RegExp(controlCharacters.source, 'g'), '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
