/**
 * Text the adapter passes on from Azure (error and deployment messages) may quote a URL or a
 * connection string; the secrets in them are cut out before the text reaches an error or a log.
 */
const secretPatterns: readonly RegExp[] = [
  /\b(sig)=[^&\s"';]+/gi,
  /\b(AccountKey)=[^;\s"']+/gi,
  /\b(SharedAccessSignature)=[^;\s"']+/gi,
  /\b(code)=[^&\s"';]+/gi,
  /\b(Bearer) [A-Za-z0-9._~+/-]+=*/g,
];

export function redactSecrets(text: string): string {
  return secretPatterns.reduce((redacted, pattern) => redacted.replace(pattern, (_match, name: string) => (name === 'Bearer' ? 'Bearer [redacted]' : `${name}=[redacted]`)), text);
}

/**
 * A copy of an error whose message and stack are redacted, to keep as a RouterError's cause: the
 * original would take its secrets to any log that prints causes.
 */
export function redactedError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(redactSecrets(original.message));
  copy.name = original.name;
  copy.stack = original.stack === undefined ? undefined : redactSecrets(original.stack);
  return copy;
}
