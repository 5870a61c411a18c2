import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * 企业微信's callback encryption (the WXBizMsgCrypt scheme of 接收事件服务器): the seller enters our
 * URL, a Token and an EncodingAESKey in the 企业微信 admin; 企业微信 then signs each call with
 * msg_signature = sha1 of the sorted (Token, timestamp, nonce, Encrypt) and encrypts the message with
 * AES-256-CBC (key = the EncodingAESKey decoded, IV = its first 16 bytes, PKCS#7 padding to 32
 * bytes) as random(16) ‖ length(4, big-endian) ‖ message ‖ CorpID.
 */
export interface WecomCallbackKeys {
  token: string;
  encodingAesKey: string;
  corpId: string;
}

/** Token and EncodingAESKey of a channel, derived from its secret hook token (nothing more to store). */
export function wecomCallbackSecrets(hookToken: string): { token: string; encodingAesKey: string } {
  const h = (label: string) => createHash('sha256').update(`${label}:${hookToken}`).digest('hex');
  // 企业微信 wants a Token of at most 32 letters or digits and an EncodingAESKey of 43 (base64 of 32 bytes).
  return { token: h('wecom-token').slice(0, 32), encodingAesKey: h('wecom-aes').slice(0, 43) };
}

export function wecomSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

function keyOf(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new Error('the EncodingAESKey must be 43 characters');
  return key;
}

export function wecomEncrypt(keys: WecomCallbackKeys, message: string, random = randomBytes(16)): string {
  const key = keyOf(keys.encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, len, body, Buffer.from(keys.corpId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}

export type WecomOpened = { ok: true; message: string } | { ok: false; problem: string };

/** Checks the signature, decrypts and checks the CorpID; says what is wrong otherwise. */
export function wecomOpen(
  keys: WecomCallbackKeys,
  q: { signature?: string; timestamp?: string; nonce?: string },
  encrypted: string,
): WecomOpened {
  if (!q.signature || !q.timestamp || !q.nonce)
    return { ok: false, problem: 'msg_signature, timestamp and nonce are required in the query' };
  const want = Buffer.from(wecomSignature(keys.token, q.timestamp, q.nonce, encrypted));
  const got = Buffer.from(q.signature.toLowerCase());
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return { ok: false, problem: 'msg_signature does not match (check the Token configured in 企业微信)' };
  let plain: Buffer;
  try {
    const key = keyOf(keys.encodingAesKey);
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  } catch {
    return { ok: false, problem: 'the message cannot be decrypted (check the EncodingAESKey)' };
  }
  const pad = plain.at(-1) ?? 0;
  if (pad < 1 || pad > 32 || plain.length < 20 + pad)
    return { ok: false, problem: 'the message cannot be decrypted (check the EncodingAESKey)' };
  const content = plain.subarray(16, plain.length - pad);
  const len = content.readUInt32BE(0);
  if (len > content.length - 4) return { ok: false, problem: 'the decrypted message is malformed' };
  const receiver = content.subarray(4 + len).toString('utf8');
  if (receiver !== keys.corpId)
    return { ok: false, problem: `the message is for ${receiver}, not this channel's CorpID` };
  return { ok: true, message: content.subarray(4, 4 + len).toString('utf8') };
}

/** The text of one flat element of 企业微信's XML (CDATA or plain); null when absent. */
export function xmlField(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>\\s*(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))\\s*</${tag}>`).exec(xml);
  if (!m) return null;
  return m[1] ?? m[2] ?? '';
}
