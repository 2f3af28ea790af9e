/**
 * Port: where the control plane keeps a release's app settings (which hold secrets) while the
 * release runs, so that its orchestration's input and history carry only the release id and the
 * settings' names. Values are sealed at rest. The record goes when the release ends: nothing after
 * it reads the values (a failed patch keeps the settings it configured).
 * Adapters: Azure Table storage (Azurite locally) and memory.
 */
export interface ReleaseSettingsStore {
  put(releaseId: string, settings: Readonly<Record<string, string>>): Promise<void>;
  /** Undefined when none are kept for the release; throws SECRET_UNREADABLE when they do not open. */
  get(releaseId: string): Promise<Readonly<Record<string, string>> | undefined>;
  remove(releaseId: string): Promise<void>;
}
