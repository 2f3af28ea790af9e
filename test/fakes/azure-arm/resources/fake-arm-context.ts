/** What the operations of the fake share: its state, faults, long-running operations and settings. */
import type { Logger } from 'pino';
import type { FakeArmAccounting } from '../accounting/fake-arm-accounting.js';
import type { FaultBook } from '../faults/fault-injection.js';
import type { ServedOperationId } from '../operations/served-operations.js';
import type { OperationHandler } from '../protocol/arm-server.js';
import type { LongRunningOperations } from '../protocol/long-running-operations.js';
import type { FakeArmState } from './fake-arm-state.js';

export interface FakeArmSettings {
  readonly dataDir: string;
  readonly lroDelayMs: number;
  readonly pageSize: number;
  readonly syncTriggersStatus: 200 | 204;
  readonly siteStartTimeoutMs: number;
  /** The CA a package download over https trusts (the test CA). */
  readonly downloadCa: string;
}

export interface FakeArmContext {
  readonly state: FakeArmState;
  readonly faults: FaultBook;
  readonly operations: LongRunningOperations;
  readonly accounting: FakeArmAccounting;
  readonly settings: FakeArmSettings;
  readonly logger: Logger;
  readonly onAppLog: ((siteName: string, line: string) => void) | undefined;
  /** The fake's own base URL (for Location and nextLink URLs). */
  endpoint(): string;
  /** Work that goes on after the answer (a deployment, a restart): stop() waits for it. */
  background(name: string, work: () => Promise<void>): void;
}

export type OperationHandlers = Partial<Record<ServedOperationId, OperationHandler>>;
