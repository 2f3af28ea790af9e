import { storageStatusOf, toStorageError } from '../../../shared/storage/table-storage-errors.js';
import type { ControlPlaneTable } from './control-plane-table.js';

/**
 * What the control plane remembers of each app it released onto, beyond what the platform shows:
 * - the fingerprint of the settings it last configured (the platform shows only setting names),
 *   so a patch with unchanged settings does not restart the app once more just to configure it;
 * - the package last seen healthy on it, so a patch that deployed but never became healthy can
 *   be undone by deploying that package again.
 */
export interface AppRecord {
  readonly appName: string;
  readonly settingsFingerprint: string | undefined;
  readonly healthyPackage: string | undefined;
}

const partitionKey = 'app';

interface AppEntity {
  partitionKey: string;
  rowKey: string;
  SettingsFingerprint?: string;
  HealthyPackage?: string;
}

export class AppRecords {
  readonly #table: ControlPlaneTable;

  constructor(table: ControlPlaneTable) {
    this.#table = table;
  }

  async get(appName: string): Promise<AppRecord> {
    await this.#table.ready();
    try {
      const entity = await this.#table.client.getEntity<AppEntity>(partitionKey, appName);
      return { appName, settingsFingerprint: entity.SettingsFingerprint, healthyPackage: entity.HealthyPackage };
    } catch (error) {
      if (storageStatusOf(error) === 404) return { appName, settingsFingerprint: undefined, healthyPackage: undefined };
      throw toStorageError(error, `read the record of app ${appName}`);
    }
  }

  setSettingsFingerprint(appName: string, fingerprint: string): Promise<void> {
    return this.#merge({ partitionKey, rowKey: appName, SettingsFingerprint: fingerprint });
  }

  setHealthyPackage(appName: string, sha256: string): Promise<void> {
    return this.#merge({ partitionKey, rowKey: appName, HealthyPackage: sha256 });
  }

  async remove(appName: string): Promise<void> {
    await this.#table.ready();
    try {
      await this.#table.client.deleteEntity(partitionKey, appName);
    } catch (error) {
      if (storageStatusOf(error) === 404) return;
      throw toStorageError(error, `remove the record of app ${appName}`);
    }
  }

  async #merge(entity: AppEntity): Promise<void> {
    await this.#table.ready();
    try {
      await this.#table.client.upsertEntity(entity, 'Merge');
    } catch (error) {
      throw toStorageError(error, `update the record of app ${entity.rowKey}`);
    }
  }
}
