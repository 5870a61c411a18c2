import { sql, type Kysely } from 'kysely';

/**
 * A login is found whatever its case (Admin, ADMIN and admin are one login: a seller typing the capital their phone
 * offers was refused): the login index is on lower(login), which both databases fold the same way for the ASCII a
 * login is made of. Not unique: two users of one workspace whose logins differ only in case, made before, keep both
 * (each logs in with their own password); a new one is refused (auth/service.ts).
 */
export function loginAnyCase() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX users_login_idx`.execute(db);
      await sql`CREATE INDEX users_login_lower_idx ON users (lower(login))`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX users_login_lower_idx`.execute(db);
      await sql`CREATE INDEX users_login_idx ON users (login)`.execute(db);
    },
  };
}
