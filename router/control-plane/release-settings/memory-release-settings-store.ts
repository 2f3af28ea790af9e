import type { ReleaseSettingsStore } from './release-settings-store.js';

/** A working in-memory ReleaseSettingsStore: copies in and out, so a caller's object never changes what is stored. */
export class MemoryReleaseSettingsStore implements ReleaseSettingsStore {
  readonly #settings = new Map<string, Readonly<Record<string, string>>>();

  async put(releaseId: string, settings: Readonly<Record<string, string>>): Promise<void> {
    this.#settings.set(releaseId, { ...settings });
  }

  async get(releaseId: string): Promise<Readonly<Record<string, string>> | undefined> {
    const settings = this.#settings.get(releaseId);
    return settings === undefined ? undefined : { ...settings };
  }

  async remove(releaseId: string): Promise<void> {
    this.#settings.delete(releaseId);
  }
}
