import { randomBytes } from 'node:crypto';

// Crockford base32, as ULIDs use: ids sort by creation time as plain text on both databases.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom = new Uint8Array(10);

/** The time part: 10 characters, 5 bits each, most significant first (48-bit ms fit a double exactly). */
function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** The random part: 80 bits as 16 characters, most significant first (no BigInt: ids are made by the million). */
function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  for (let c = 0; c < 16; c++) {
    const bit = c * 5;
    const byte = bit >> 3;
    const shift = bit & 7;
    const two = (bytes[byte]! << 8) | (byte + 1 < bytes.length ? bytes[byte + 1]! : 0);
    out += ALPHABET[(two >> (11 - shift)) & 31]!;
  }
  return out;
}

/** What newId makes: 26 characters of ALPHABET (for an id taken as a cursor, checked before it reaches SQL). */
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

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
  return encodeTime(now) + encodeRandom(lastRandom);
}
