/**
 * ARM's paging: a page holds `value` and, when more follow, a `nextLink` — an absolute URL the
 * client GETs as it is (the fake's carries the api-version and a `$skipToken`).
 */
import { ArmError } from './arm-error.js';
import type { ArmRequest } from './arm-server.js';

export function pageOf<T>(items: readonly T[], request: ArmRequest, pageSize: number, endpoint: string): { value: T[]; nextLink?: string } {
  const token = request.query.get('$skipToken');
  const offset = token === null ? 0 : Number(token);
  if (!Number.isInteger(offset) || offset < 0) throw new ArmError(400, 'InvalidSkipToken', `The $skipToken '${token}' is not one the fake ARM gave.`);
  const value = items.slice(offset, offset + pageSize);
  if (offset + pageSize >= items.length) return { value };
  const next = new URLSearchParams(request.query);
  next.set('$skipToken', String(offset + pageSize));
  return { value, nextLink: `${endpoint}${request.path}?${next.toString()}` };
}
