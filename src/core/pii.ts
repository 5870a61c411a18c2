/**
 * Personal data as marketplaces export it. Newer exports mask buyer data ("138****1234", "张*",
 * addresses ending "****"): a masked value is kept for display but is never an identifier.
 */

export function isMasked(value: string | null | undefined): boolean {
  return value != null && /[*＊]/.test(value);
}

/**
 * A mainland mobile number normalised to 11 digits, or null when the value is not one. Takes off
 * Excel's text guards (`'13800138000`, `="13800138000"`), spaces, dashes, brackets and +86 / 0086.
 */
export function normalizeCnMobile(value: string | null | undefined): string | null {
  if (!value || isMasked(value)) return null;
  const digits = value
    .trim()
    .replace(/^="?|"$/g, '')
    .replace(/^['‘’`]/, '')
    .replace(/[\s\-()（）\u00A0]/g, '')
    .replace(/^(\+86|0086|86(?=1\d{10}$))/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

export function normalizeEmail(value: string | null | undefined): string | null {
  if (!value || isMasked(value)) return null;
  const v = value.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? v : null;
}

/** An identifier-grade text value (buyer nick, external id): trimmed, non-empty, unmasked. */
export function identifierOrNull(value: string | null | undefined): string | null {
  if (value == null) return null;
  const v = value.trim();
  return v === '' || isMasked(v) ? null : v;
}

/** "13812341234" → "138****1234"; other values keep their first and last characters. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  if (isMasked(phone)) return phone;
  if (phone.length >= 7) return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  return '*'.repeat(phone.length);
}
