import type { OrderRecord } from './formats/types.js';
import { identifierOrNull, isMasked, maskPhone, normalizeCnMobile, normalizeEmail } from './pii.js';
import { customerPinyin } from './pinyin-keys.js';

/**
 * The names a new customer gets from an order: the best display name (nick, name, buyer id, masked
 * phone, email — never "—" when there is an identifier), the receiver's name as the real name when the
 * export shows it unmasked, and the pinyin keys of those and of the nick. Shared by the import's read
 * thread (which computes the keys off the writing thread) and ingest (which stores them).
 */
export function buyerDisplayName(o: OrderRecord): string {
  return (
    identifierOrNull(o.buyer.nick) ??
    o.buyer.name ??
    identifierOrNull(o.buyer.externalId) ??
    maskPhone(normalizeCnMobile(o.buyer.phone)) ??
    normalizeEmail(o.buyer.email) ??
    o.buyer.nick ??
    '—'
  );
}

export function buyerRealName(o: OrderRecord): string | null {
  return o.receiverName && !isMasked(o.receiverName) ? o.receiverName : null;
}

/** customers.name_pinyin of a customer created from this order (its one nick identity, if any). */
export function buyerPinyin(o: OrderRecord): string | null {
  const nick = identifierOrNull(o.buyer.nick);
  return customerPinyin(buyerDisplayName(o), buyerRealName(o), nick ? [nick] : []);
}
