import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isRouterError, RouterError } from '../../shared/errors/router-error.js';
import { startAzurite, type RunningAzurite } from '../../shared/storage/azurite.js';
import { readFileIfExists } from '../../shared/files/optional-file.js';

/**
 * The embedded Azurite, on the same port at every start: the apps the control plane runs keep
 * their storage connection string (port included) in their settings, and come back with it after
 * a restart. The port is chosen once and kept in `<dataDir>/azurite-port`. The Blob service (for
 * the Azure platform's packages) takes any free port: nothing keeps its address.
 */
export async function startEmbeddedStorage(dataDir: string, options: { readonly blob?: boolean } = {}): Promise<RunningAzurite> {
  const blob = options.blob === true;
  const portFile = path.join(dataDir, 'azurite-port');
  const remembered = await readPort(portFile);
  const location = path.join(dataDir, 'azurite');
  if (remembered === undefined) {
    const azurite = await startAzurite({ location, blob });
    await writeFile(portFile, `${azurite.port}\n`);
    return azurite;
  }
  try {
    return await startAzurite({ location, blob }, remembered);
  } catch (error) {
    if (isRouterError(error)) {
      throw new RouterError('INVALID_CONFIGURATION', `The embedded Azurite of ${dataDir} listens on port ${remembered}, where the apps expect their storage, but it could not start there (${error.message}). Is another durable-router using ${dataDir}? Stop it, or free the port.`, { cause: error });
    }
    throw error;
  }
}

async function readPort(file: string): Promise<number | undefined> {
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  const port = Number(text.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RouterError('INVALID_CONFIGURATION', `${file} does not hold a port number; delete it to pick a new port (apps released before will need releasing again).`);
  return port;
}
