import type { AppKeys } from '../secrets/app-keys.js';

/**
 * Port: where the router keeps its apps' keys, so that every front door can add the right key when
 * it forwards to an app while no client ever sees one. The control plane writes (after a release
 * makes an app healthy, and when it starts); front doors read. Values are sealed at rest.
 * Adapters: Azure Table storage (Azurite locally) and memory.
 */
export interface AppKeyStore {
  put(appName: string, keys: AppKeys): Promise<void>;
  remove(appName: string): Promise<void>;
  /** Every app's keys, by app name, and the apps whose stored keys do not open (sealed with another secrets key, or altered). */
  readAll(): Promise<AppKeySnapshot>;
}

export interface AppKeySnapshot {
  readonly keys: ReadonlyMap<string, AppKeys>;
  readonly unreadable: readonly string[];
}
