import { reason } from '../../core/reasons.js';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Invalid } from '../../core/errors.js';

/**
 * Channel credentials at rest: AES-256-GCM under a key derived from HUIKE_SECRET_KEY (any long
 * random text, e.g. `openssl rand -hex 32`). Without the key nothing is stored: a credential in
 * plain text in the database is what this prevents.
 */
function key(): Buffer {
  const raw = process.env.HUIKE_SECRET_KEY?.trim();
  if (!raw)
    throw new Invalid(
      'channel credentials and webhook secrets are stored encrypted: set HUIKE_SECRET_KEY ' +
        '(e.g. openssl rand -hex 32) and restart the server',
      reason('secret.keyMissing'),
    );
  if (raw.length < 16)
    throw new Invalid('HUIKE_SECRET_KEY is too short: use at least 16 random characters', reason('secret.keyShort'));
  return createHash('sha256').update(raw).digest();
}

export function hasSecretKey(): boolean {
  return Boolean(process.env.HUIKE_SECRET_KEY?.trim());
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function encryptSecret(value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key(), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(
    '.',
  );
}

/** Whether a stored value is one of encryptSecret's (a value saved before encryption is not). */
export function isEncrypted(stored: string): boolean {
  return /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(stored);
}

export function decryptSecret<T = unknown>(stored: string): T {
  const [v, iv, tag, ct] = stored.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('stored credential has an unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key(), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    const pt = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    return JSON.parse(pt.toString('utf8')) as T;
  } catch {
    throw new Invalid(
      'the stored credentials cannot be decrypted: HUIKE_SECRET_KEY is not the key they were saved with',
      reason('secret.cannotDecrypt'),
    );
  }
}
