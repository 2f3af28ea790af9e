/**
 * ARM's error bodies. The spec's envelope is `{ "error": { "code", "message", "details" } }`, but App
 * Service has been seen answering the unwrapped PascalCase form `{ "Code", "Message", "Details": [...] }`
 * (azure-rest-api-specs#14557); both are read, and the second rewritten into the first so that the
 * SDKs' own errors carry ARM's code and message. Pure.
 */

export interface ArmErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** The code and message of an error body, in either form; undefined when it is neither. */
export function parseArmErrorBody(text: string | undefined): ArmErrorBody | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const envelope = body['error'] ?? body['Error'];
  const source = isObject(envelope) ? envelope : body;
  const code = stringField(source, 'code') ?? stringField(source, 'Code');
  const message = stringField(source, 'message') ?? stringField(source, 'Message') ?? detailMessage(source);
  if (code === undefined && message === undefined) return undefined;
  return { code, message };
}

/** The spec's envelope for an unwrapped (PascalCase) body; undefined when the body is already standard or not an error. */
export function normalisedArmErrorBody(text: string | undefined): string | undefined {
  const parsed = parseArmErrorBody(text);
  if (parsed === undefined) return undefined;
  const body = JSON.parse(text as string) as Record<string, unknown>;
  if (isObject(body['error'])) return undefined;
  return JSON.stringify({ error: { code: parsed.code ?? 'Unknown', message: parsed.message ?? '' } });
}

/** The unwrapped form sometimes leaves Message empty and says it in Details[].Message. */
function detailMessage(source: Record<string, unknown>): string | undefined {
  const details = source['details'] ?? source['Details'];
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (!isObject(detail)) continue;
    const message = stringField(detail, 'message') ?? stringField(detail, 'Message');
    if (message !== undefined) return message;
  }
  return undefined;
}

function stringField(source: Record<string, unknown>, name: string): string | undefined {
  const value = source[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
