/**
 * The keys a running host checks, kept current. The host takes them from its secrets folder at
 * start (creating them on first start, as a Functions host makes its keys) and reads the file
 * again whenever it changes, so that a rotation (LocalPlatform.setHostSecret, ARM's
 * createOrUpdateHostSecret) takes effect within about a second, without a restart, and the old
 * value stops working. A file that goes missing or becomes unreadable while the host runs leaves
 * the last good keys in force, and says so in the log (names only, never values).
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ensureHostSecrets, hostSecretsFile, readHostSecrets, type HostSecrets } from './host-secrets.js';

export interface HostKeyringOptions {
  readonly secretsDir: string;
  readonly logger: Logger;
  /** How often the file is looked at (default 500 ms). */
  readonly pollMs?: number;
}

const defaultPollMs = 500;

export class HostKeyring {
  readonly file: string;
  readonly #secretsDir: string;
  readonly #logger: Logger;
  readonly #timer: NodeJS.Timeout;
  #current: HostSecrets;
  #seen: string;
  #checking: Promise<void> | undefined;
  #trouble: string | undefined;

  private constructor(options: HostKeyringOptions, secrets: HostSecrets, seen: string) {
    this.file = hostSecretsFile(options.secretsDir);
    this.#secretsDir = options.secretsDir;
    this.#logger = options.logger;
    this.#current = secrets;
    this.#seen = seen;
    this.#timer = setInterval(() => void this.refresh(), options.pollMs ?? defaultPollMs);
    // A host that has nothing else to do must still be able to exit.
    this.#timer.unref();
  }

  static async open(options: HostKeyringOptions): Promise<HostKeyring> {
    const secrets = await ensureHostSecrets(options.secretsDir);
    return new HostKeyring(options, secrets, await fileVersion(hostSecretsFile(options.secretsDir)));
  }

  get current(): HostSecrets {
    return this.#current;
  }

  /** Reads the file again if it changed since it was last read; one check at a time. */
  refresh(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    let version: string;
    try {
      version = await fileVersion(this.file);
    } catch (error) {
      this.#report('the keys file cannot be read', error);
      return;
    }
    if (version === this.#seen) return;
    try {
      const secrets = await readHostSecrets(this.#secretsDir);
      if (secrets === undefined) {
        this.#report('the keys file is gone; a new one is made at the next start', undefined);
        return;
      }
      this.#current = secrets;
      this.#seen = version;
      this.#trouble = undefined;
      this.#logger.info({ file: this.file }, 'The host keys changed; the new keys apply from now on');
    } catch (error) {
      this.#report('the keys file cannot be read', error);
    }
  }

  /** Logged once per kind of trouble, not at every poll. */
  #report(trouble: string, error: unknown): void {
    if (this.#trouble === trouble) return;
    this.#trouble = trouble;
    // RouterErrors from readHostSecrets never quote the file; other errors are I/O errors.
    const reason = error instanceof Error ? error.message : undefined;
    this.#logger.error({ file: this.file, ...(reason === undefined ? {} : { reason }) }, `The host keeps its last keys: ${trouble}`);
  }
}

/** Changes whenever the file is replaced (a new inode) or rewritten in place; '' when it is missing. */
async function fileVersion(file: string): Promise<string> {
  try {
    const stats = await stat(file, { bigint: true });
    return `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
