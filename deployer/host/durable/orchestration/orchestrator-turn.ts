/**
 * What an orchestrator function hands back to its host after one replay, parsed from the JSON
 * `durable-functions` produces (OrchestratorState: isDone, actions, output, customStatus, error),
 * or from the `$OutOfProcData$:` suffix of the error a failing orchestrator throws.
 */

export interface RetryPolicy {
  readonly firstRetryIntervalMs: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient: number;
  readonly maxRetryIntervalMs: number;
}

export interface DurableHttpRequest {
  readonly method: string;
  readonly uri: string;
  readonly content?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly asynchronousPatternEnabled: boolean;
  readonly hasTokenSource: boolean;
}

/** An action, with inputs already decoded to the values the called function receives. */
export type OrchestratorAction =
  | { readonly kind: 'callActivity'; readonly name: string; readonly input: unknown; readonly retry?: RetryPolicy }
  | {
    readonly kind: 'callSubOrchestrator'; readonly name: string; readonly instanceId?: string; readonly input: unknown;
    readonly version?: string; readonly retry?: RetryPolicy;
  }
  | { readonly kind: 'createTimer'; readonly fireAt: Date }
  | { readonly kind: 'waitForExternalEvent'; readonly name: string }
  | { readonly kind: 'callEntity'; readonly entityId: string; readonly operation: string; readonly input: unknown }
  | { readonly kind: 'signalEntity'; readonly entityId: string; readonly operation: string; readonly input: unknown }
  | { readonly kind: 'callHttp'; readonly request: DurableHttpRequest }
  | { readonly kind: 'continueAsNew'; readonly input: unknown }
  | { readonly kind: 'whenAll'; readonly children: readonly OrchestratorAction[] }
  | { readonly kind: 'whenAny'; readonly children: readonly OrchestratorAction[] };

export interface OrchestratorTurn {
  readonly isDone: boolean;
  readonly actions: readonly OrchestratorAction[];
  readonly output: unknown;
  readonly customStatus: unknown;
}

/** The orchestrator either yielded a turn, or threw (with the turn it had reached, when known). */
export type OrchestratorOutcome =
  | { readonly ok: true; readonly turn: OrchestratorTurn }
  | { readonly ok: false; readonly error: string; readonly turn?: OrchestratorTurn };

/** The orchestrator's answer did not follow the out-of-process protocol. */
export class OrchestratorProtocolError extends Error {
  override readonly name = 'OrchestratorProtocolError';
}

const outOfProcDataLabel = '$OutOfProcData$:';
const actionTypes = {
  CallActivity: 0, CallActivityWithRetry: 1, CallSubOrchestrator: 2, CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4, CreateTimer: 5, WaitForExternalEvent: 6, CallEntity: 7, CallHttp: 8, SignalEntity: 9,
  WhenAny: 11, WhenAll: 12, LockEntities: 13, ReleaseEntities: 14,
} as const;

export function parseOrchestratorResult(value: unknown): OrchestratorTurn {
  const state = asRecord(value, 'The orchestrator function returned');
  const rawActions = state.actions ?? [];
  if (!Array.isArray(rawActions)) throw new OrchestratorProtocolError('The orchestrator state has no actions array.');
  // Schema V2/V3 send one inner array; V1 sent one per yield. Either way the order is the schedule order.
  const actions = rawActions.flatMap((group: unknown) => {
    if (!Array.isArray(group)) throw new OrchestratorProtocolError('The orchestrator actions must be an array of arrays.');
    return group.map(parseAction);
  });
  return { isDone: state.isDone === true, actions, output: state.output, customStatus: state.customStatus };
}

/** Reads the error a failing orchestrator throws (an Error whose message carries `$OutOfProcData$:`). */
export function parseOrchestratorFailure(error: unknown): OrchestratorOutcome & { ok: false } {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf(outOfProcDataLabel);
  if (at < 0) return { ok: false, error: message };
  let data: unknown;
  try {
    data = JSON.parse(message.slice(at + outOfProcDataLabel.length));
  } catch {
    // The label was present but not followed by JSON: report the error text the user wrote.
    return { ok: false, error: message.slice(0, at).trim() };
  }
  const state = asRecord(data, 'The orchestrator failure data');
  const stateError = typeof state.error === 'string' ? state.error : message.slice(0, at).trim();
  try {
    return { ok: false, error: stateError, turn: parseOrchestratorResult(state) };
  } catch (protocolError) {
    if (!(protocolError instanceof OrchestratorProtocolError)) throw protocolError;
    return { ok: false, error: stateError };
  }
}

function parseAction(value: unknown): OrchestratorAction {
  const action = asRecord(value, 'An orchestrator action');
  switch (action.actionType) {
    case actionTypes.CallActivity:
      return { kind: 'callActivity', name: requireString(action.functionName, 'functionName'), input: decodeProcessedInput(action.input) };
    case actionTypes.CallActivityWithRetry:
      return {
        kind: 'callActivity', name: requireString(action.functionName, 'functionName'),
        input: decodeProcessedInput(action.input), retry: parseRetryOptions(action.retryOptions),
      };
    case actionTypes.CallSubOrchestrator:
    case actionTypes.CallSubOrchestratorWithRetry:
      return {
        kind: 'callSubOrchestrator',
        name: requireString(action.functionName, 'functionName'),
        ...(typeof action.instanceId === 'string' && action.instanceId !== '' ? { instanceId: action.instanceId } : {}),
        input: action.input,
        ...(typeof action.version === 'string' && action.version !== '' ? { version: action.version } : {}),
        ...(action.actionType === actionTypes.CallSubOrchestratorWithRetry ? { retry: parseRetryOptions(action.retryOptions) } : {}),
      };
    case actionTypes.ContinueAsNew:
      return { kind: 'continueAsNew', input: decodeProcessedInput(action.input) };
    case actionTypes.CreateTimer:
      return { kind: 'createTimer', fireAt: parseDate(action.fireAt, 'fireAt') };
    case actionTypes.WaitForExternalEvent:
      return { kind: 'waitForExternalEvent', name: requireString(action.externalEventName, 'externalEventName') };
    case actionTypes.CallEntity:
      return {
        kind: 'callEntity', entityId: requireString(action.instanceId, 'instanceId'),
        operation: requireString(action.operation, 'operation'), input: action.input,
      };
    case actionTypes.SignalEntity:
      return {
        kind: 'signalEntity', entityId: requireString(action.instanceId, 'instanceId'),
        operation: requireString(action.operation, 'operation'), input: action.input,
      };
    case actionTypes.CallHttp:
      return { kind: 'callHttp', request: parseHttpRequest(action.httpRequest) };
    case actionTypes.WhenAll:
    case actionTypes.WhenAny: {
      const children = action.compoundActions;
      if (!Array.isArray(children)) throw new OrchestratorProtocolError('A WhenAll/WhenAny action has no compoundActions array.');
      return { kind: action.actionType === actionTypes.WhenAll ? 'whenAll' : 'whenAny', children: children.map(parseAction) };
    }
    case actionTypes.LockEntities:
    case actionTypes.ReleaseEntities:
      throw new OrchestratorProtocolError('Entity locking (context.df.lock) is not supported by the local host (replay schema V4).');
    default:
      throw new OrchestratorProtocolError(`Unknown orchestrator action type ${JSON.stringify(action.actionType)}.`);
  }
}

/**
 * `durable-functions` JSON-encodes string inputs of activities and continueAsNew (Utils.processInput)
 * before they reach the host; other values arrive as they are.
 */
function decodeProcessedInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    // Not produced by processInput (hand-written state): the string itself is the value.
    return input;
  }
}

function parseRetryOptions(value: unknown): RetryPolicy {
  const options = asRecord(value, 'retryOptions');
  const first = finiteNumber(options.firstRetryIntervalInMilliseconds, 'firstRetryIntervalInMilliseconds');
  const attempts = finiteNumber(options.maxNumberOfAttempts, 'maxNumberOfAttempts');
  return {
    firstRetryIntervalMs: first,
    maxNumberOfAttempts: Math.max(1, Math.floor(attempts)),
    backoffCoefficient: optionalNumber(options.backoffCoefficient) ?? 1,
    maxRetryIntervalMs: optionalNumber(options.maxRetryIntervalInMilliseconds) ?? Number.POSITIVE_INFINITY,
    // retryTimeoutInMilliseconds is not applied: the library counts attempts itself and would wait
    // forever for an attempt the host stopped scheduling (what the extension does when it expires).
  };
}

function parseHttpRequest(value: unknown): DurableHttpRequest {
  const request = asRecord(value, 'httpRequest');
  const headers: Record<string, string> = {};
  if (request.headers !== undefined && request.headers !== null) {
    for (const [name, header] of Object.entries(asRecord(request.headers, 'httpRequest.headers'))) {
      headers[name] = Array.isArray(header) ? header.map(String).join(', ') : String(header);
    }
  }
  return {
    method: requireString(request.method, 'httpRequest.method').toUpperCase(),
    uri: requireString(request.uri, 'httpRequest.uri'),
    ...(typeof request.content === 'string' ? { content: request.content } : {}),
    headers,
    asynchronousPatternEnabled: request.asynchronousPatternEnabled !== false,
    hasTokenSource: request.tokenSource !== undefined && request.tokenSource !== null,
  };
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OrchestratorProtocolError(`${what} is not an object.`);
  }
  return value as Record<string, unknown>;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new OrchestratorProtocolError(`The action field "${field}" must be a non-empty string.`);
  return value;
}

function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new OrchestratorProtocolError(`The retry option "${field}" must be a number.`);
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function parseDate(value: unknown, field: string): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) throw new OrchestratorProtocolError(`The action field "${field}" must be a date.`);
  return date;
}
