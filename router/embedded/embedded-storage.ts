import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import { startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { readFileIfExists } from '../../shared/files/optional-file.js';

/**
 * The embedded Azurite, its Table and Blob services on the same ports at every start: the apps the
 * control plane runs keep their storage connection string (ports included) in their settings, and
 * come back with it after a restart. Each port is chosen once and kept under the data folder:
 * `azurite-port` (the Table service's, the only one kept before the Blob service ran beside it)
 * and `azurite-blob-port`. Large durable values go to the Blob service, packages too on Azure.
 */
export async function startEmbeddedStorage(dataDir: string): Promise<RunningAzurite> {
  const files = { table: path.join(dataDir, 'azurite-port'), blob: path.join(dataDir, 'azurite-blob-port') };
  const remembered = { table: await readPort(files.table), blob: await readPort(files.blob) };
  const location = path.join(dataDir, 'azurite');
  let azurite: RunningAzurite;
  try {
    azurite = await startAzurite({ location, blob: true }, remembered);
  } catch (error) {
    const kept = [remembered.table === undefined ? [] : [`${remembered.table} (Table)`], remembered.blob === undefined ? [] : [`${remembered.blob} (Blob)`]].flat();
    if (isRouterError(error) && kept.length > 0) {
      throw new RouterError('INVALID_CONFIGURATION', `The embedded Azurite of ${dataDir} listens on port ${kept.join(' and ')}, where the apps expect their storage, but it could not start there (${error.message}). Is another durable-router using ${dataDir}? Stop it, or free the port.`, { cause: error });
    }
    throw error;
  }
  try {
    if (remembered.table === undefined) await writeFile(files.table, `${azurite.port}\n`);
    if (remembered.blob === undefined) await writeFile(files.blob, `${azurite.blobPort}\n`);
  } catch (error) {
    await azurite.stop();
    throw error;
  }
  return azurite;
}

async function readPort(file: string): Promise<number | undefined> {
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  const port = Number(text.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RouterError('INVALID_CONFIGURATION', `${file} does not hold a port number; delete it to pick a new port (apps released before will need releasing again).`);
  return port;
}
