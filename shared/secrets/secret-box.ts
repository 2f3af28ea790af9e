import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { RouterError } from '../errors/router-error.js';

/**
 * Seals secrets the router must keep in storage (apps' keys) with AES-256-GCM under a key derived
 * from the router's secrets key (ROUTER_SECRETS_KEY), which the control plane and every front door
 * share. The context (e.g. the app's name) is authenticated, so a sealed value moved to another
 * row does not open.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(secretsKey: string, purpose: string) {
    if (secretsKey.length < minSecretsKeyLength) {
      throw new RouterError('INVALID_CONFIGURATION', `The router's secrets key must be at least ${minSecretsKeyLength} characters long (it has ${secretsKey.length}).`);
    }
    this.#key = Buffer.from(hkdfSync('sha256', Buffer.from(secretsKey, 'utf8'), Buffer.from('durable-router', 'utf8'), Buffer.from(purpose, 'utf8'), 32));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [sealedFormat, iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [format, iv, body, tag] = sealed.split('.');
    if (format !== sealedFormat || iv === undefined || body === undefined || tag === undefined) {
      throw new RouterError('SECRET_UNREADABLE', `A sealed secret of ${context} is not in the ${sealedFormat} format.`, { details: { context } });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new RouterError('SECRET_UNREADABLE', `A sealed secret of ${context} does not open with this router's secrets key (ROUTER_SECRETS_KEY): it was sealed with another key, or altered.`, { cause: error, details: { context } });
    }
  }
}

export const minSecretsKeyLength = 32;
const sealedFormat = 'v1';
