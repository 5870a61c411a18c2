import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * 企业微信 channels made before 企业微信 got its callback address have no hook token (the secret from
 * which the callback's URL check, Token and EncodingAESKey come): give each one its own random token,
 * as a channel made today gets. SMS channels always had one; any without is filled the same way.
 */
export function channelHookTokens(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const rows = await sql<{ workspace_id: string; id: string }>`
        select workspace_id, id from messaging_channels
        where hook_token is null and kind in ('wecom', 'aliyun_sms', 'tencent_sms')`.execute(db);
      for (const r of rows.rows)
        await sql`update messaging_channels set hook_token = ${randomBytes(18).toString('base64url')}
          where workspace_id = ${r.workspace_id} and id = ${r.id}`.execute(db);
    },
    async down(): Promise<void> {
      // Tokens handed out stay: a seller may have entered them in 企业微信 already.
    },
  };
}
