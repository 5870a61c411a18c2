import { randomBytes } from 'node:crypto';

// Crockford base32, as ULIDs use: ids sort by creation time as plain text on both databases.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom = new Uint8Array(10);

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** A 26-character, time-sortable id (ULID layout; monotonic within one millisecond). */
export function newId(now: number = Date.now()): string {
  if (now <= lastTime) {
    // Same millisecond: increment the random part so ids stay strictly increasing.
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      const byte = lastRandom[i]!;
      if (byte < 255) {
        lastRandom[i] = byte + 1;
        break;
      }
      lastRandom[i] = 0;
    }
    now = lastTime;
  } else {
    lastTime = now;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  let rand = 0n;
  for (const b of lastRandom) rand = (rand << 8n) | BigInt(b);
  return encode(BigInt(now), 10) + encode(rand, 16);
}
