/**
 * The ARM operations the router needs, as `arm-operations.json` (beside this folder, in the source
 * tree) describes them: the fake's source of truth for methods, paths and api-versions, read when a
 * fake starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RouterError } from '../../../../shared/errors/router-error.js';
import { repositoryRoot } from '../../../deployer/host/fixture-apps.js';

export const catalogueFile = path.join(repositoryRoot, 'test', 'fakes', 'azure-arm', 'arm-operations.json');

export interface CatalogueOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string;
  readonly longRunning: boolean;
}

export function loadOperationCatalogue(file = catalogueFile): readonly CatalogueOperation[] {
  const entries = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(entries)) throw new RouterError('INVALID_CONFIGURATION', `${file} is not a JSON array of operations.`);
  // The file also documents the error schema in an entry without a method: not an operation.
  return entries.flatMap((entry: Record<string, unknown>): CatalogueOperation[] => {
    if (typeof entry['method'] !== 'string') return [];
    const { operationId, method, path: template, apiVersion } = entry;
    if (typeof operationId !== 'string' || typeof template !== 'string' || typeof apiVersion !== 'string') {
      throw new RouterError('INVALID_CONFIGURATION', `${file}: an operation lacks operationId, path or apiVersion (${JSON.stringify(operationId)}).`);
    }
    const longRunning = (entry['longRunning'] as { value?: unknown } | null)?.value === true;
    return [{ operationId, method, path: template, apiVersion, longRunning }];
  });
}
