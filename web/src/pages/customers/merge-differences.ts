/** A customer's contact details as the customer page reads them (masked for a role without PII). */
export interface Contact {
  realName: string | null;
  phone: string | null;
  email: string | null;
}

export type ContactField = keyof Contact;

/**
 * What two customers about to be merged say differently about who they are: a real name, a phone or an e-mail both
 * give and that are not the same (spaces and letter case aside). One marketplace nick under two phones is often two
 * people; the merge dialog shows these before the seller confirms. A detail one of them lacks is no difference.
 * Pure (no React): unit-tested in test/web/merge-differences.test.ts.
 */
export function mergeDifferences(into: Contact, from: Contact): { field: ContactField; into: string; from: string }[] {
  const same = (a: string, b: string) => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
  const out: { field: ContactField; into: string; from: string }[] = [];
  for (const field of ['realName', 'phone', 'email'] as const) {
    const a = into[field];
    const b = from[field];
    if (a && b && !same(a, b)) out.push({ field, into: a, from: b });
  }
  return out;
}
