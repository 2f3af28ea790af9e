/**
 * What a release's `package` names when it is a string: an https URL to download, or an absolute
 * path on the router's machine. Pure.
 */
import path from 'node:path';
import { RouterError } from '../../../shared/errors/router-error.js';

export type PackageReference = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'url'; readonly url: URL };

const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

export function parsePackageReference(reference: string): PackageReference {
  if (reference.trim() === '') throw new RouterError('INVALID_REQUEST', 'The release names no package: give a path, an https URL, or upload a zip.');
  if (reference.includes('\u0000')) throw new RouterError('INVALID_REQUEST', 'The package reference contains a NUL character.');
  const scheme = schemePattern.exec(reference)?.[1]?.toLowerCase();
  if (scheme !== undefined) return { kind: 'url', url: parseDownloadUrl(reference, scheme) };
  if (!path.isAbsolute(reference)) {
    throw new RouterError('INVALID_REQUEST', `The package path "${shorten(reference)}" is relative; give an absolute path on the router's machine (or upload the package).`);
  }
  return { kind: 'path', path: reference };
}

function parseDownloadUrl(reference: string, scheme: string): URL {
  if (scheme !== 'https') {
    throw new RouterError('PACKAGE_NOT_ALLOWED', `The router downloads packages over https only, not ${scheme}:// (for a file on the router's machine give its path).`);
  }
  let url: URL;
  try {
    url = new URL(reference);
  } catch {
    throw new RouterError('INVALID_REQUEST', `The package URL "${shorten(redactUrl(reference))}" is not a valid URL.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new RouterError('PACKAGE_NOT_ALLOWED', 'The package URL carries a user name or password; use a pre-signed URL (e.g. a blob SAS URL) instead.');
  }
  return url;
}

/**
 * A URL fit for messages and logs: the query (a SAS token is a secret) and any credentials left
 * out. Takes text that may not even parse.
 */
export function redactUrl(url: URL | string): string {
  const text = typeof url === 'string' ? url : url.href;
  try {
    const parsed = new URL(text);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return text.replace(/[?#].*$/s, '?…').replace(/\/\/[^/@]*@/, '//');
  }
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
