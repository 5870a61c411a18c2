import { sql, type Kysely } from 'kysely';

/**
 * Customers known only by a buyer id (or a phone, an email) were created with "—" as their name.
 * Give them their best identifier instead — the same order ingestion now uses: buyer nick, buyer
 * id, masked phone (138****1234), email. A data change only; the schema stays as it is.
 */
export const displayNames = {
  async up(db: Kysely<unknown>): Promise<void> {
    const pick = (kind: string, value = sql`i.value`) =>
      sql`(SELECT MIN(${value}) FROM customer_identities i
           WHERE i.workspace_id = customers.workspace_id AND i.customer_id = customers.id AND i.kind = ${kind})`;
    await sql`
      UPDATE customers SET display_name = COALESCE(
        ${pick('nick')},
        ${pick('buyer_id')},
        ${pick('phone', sql`SUBSTR(i.value, 1, 3) || '****' || SUBSTR(i.value, LENGTH(i.value) - 3)`)},
        ${pick('email')},
        display_name)
      WHERE display_name IN ('—', '')`.execute(db);
  },
  async down(): Promise<void> {},
};
