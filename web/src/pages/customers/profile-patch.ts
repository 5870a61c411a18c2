import dayjs, { type Dayjs } from 'dayjs';

/** What the customer page reads of a customer's profile (masked for a role without PII). */
export interface Contact {
  realName: string | null;
  phone: string | null;
  email: string | null;
  gender: string | null;
  birthday: string | null;
  marketingConsent: string;
}

/** The body of PATCH /customers/{id} this form sends. */
export interface Patch {
  realName?: string | null;
  phone?: string | null;
  email?: string | null;
  gender?: 'female' | 'male' | null;
  birthday?: string | null;
  marketingConsent?: 'granted' | 'denied' | 'unknown';
}

export interface Values {
  realName: string;
  phone: string;
  email: string;
  gender: 'female' | 'male' | null;
  birthday: Dayjs | null;
  marketingConsent: 'granted' | 'denied' | 'unknown';
}

export const valuesOf = (c: Contact): Values => ({
  realName: c.realName ?? '',
  phone: c.phone ?? '',
  email: c.email ?? '',
  gender: (c.gender as Values['gender']) ?? null,
  birthday: c.birthday ? dayjs(c.birthday) : null,
  marketingConsent: c.marketingConsent as Values['marketingConsent'],
});

/**
 * What changed in the form, as the PATCH sends it: only the fields the seller touched (a role without PII sees masked
 * values, which are never sent back), an emptied field as null. Pure: test/web/profile-patch.test.ts.
 */
export function profilePatch(before: Values, after: Values): Patch {
  const out: Patch = {};
  for (const k of ['realName', 'phone', 'email'] as const) {
    // A cleared antd field may come back undefined.
    const v = (after[k] ?? '').trim();
    if (v !== before[k].trim()) out[k] = v === '' ? null : v;
  }
  if ((after.gender ?? null) !== before.gender) out.gender = after.gender ?? null;
  const day = (d: Dayjs | null | undefined) => (d ? d.format('YYYY-MM-DD') : null);
  if (day(after.birthday) !== day(before.birthday)) out.birthday = day(after.birthday);
  if (after.marketingConsent !== before.marketingConsent) out.marketingConsent = after.marketingConsent;
  return out;
}
