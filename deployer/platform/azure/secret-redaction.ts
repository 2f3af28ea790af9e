/**
 * Text the adapter passes on from Azure (error and deployment messages) may quote a URL or a
 * connection string; the secrets in them are cut out before the text reaches an error or a log.
 */
const secretPatterns: readonly RegExp[] = [
  /\b(sig)=[^&\s"';]+/gi,
  /\b(AccountKey)=[^;\s"']+/gi,
  /\b(SharedAccessSignature)=[^;\s"']+/gi,
  /\b(code)=[^&\s"';]+/g,
  /\b(Bearer) [A-Za-z0-9._~+/-]+=*/g,
];

export function redactSecrets(text: string): string {
  return secretPatterns.reduce((redacted, pattern) => redacted.replace(pattern, (_match, name: string) => (name === 'Bearer' ? 'Bearer [redacted]' : `${name}=[redacted]`)), text);
}
