import type { AppKeys } from '../secrets/app-keys.js';
import type { AppKeySnapshot, AppKeyStore } from './app-key-store.js';

/** A working in-memory AppKeyStore: copies in and out, so a caller's object never changes what is stored. */
export class MemoryAppKeyStore implements AppKeyStore {
  readonly #keys = new Map<string, AppKeys>();

  async put(appName: string, keys: AppKeys): Promise<void> {
    this.#keys.set(appName, { function: keys.function, durableTask: keys.durableTask });
  }

  async remove(appName: string): Promise<void> {
    this.#keys.delete(appName);
  }

  async readAll(): Promise<AppKeySnapshot> {
    return { keys: new Map([...this.#keys].map(([name, keys]) => [name, { ...keys }])), unreadable: [] };
  }
}
