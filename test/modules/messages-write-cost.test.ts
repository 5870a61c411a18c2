import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { messagesWriteCost } from '../../src/db/migrations/0061_messages_write_cost.js';
import { messagesQueueIndex } from '../../src/db/migrations/0067_messages_queue_index.js';
import { messagesQueueOrder } from '../../src/db/migrations/0068_messages_queue_order.js';
import { createChannel, deleteChannel, holdChannel, updateChannel } from '../../src/modules/messaging/channels.js';
import { recordBatch } from '../../src/modules/messaging/send.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { careBatch, seedCustomers } from '../support/messaging.js';
import { messageRow } from '../support/records.js';

const batch = (sourceId: string, channelId: string, customerIds: string[]) =>
  careBatch(sourceId, channelId, customerIds, { linkUrl: 'https://shop.example.com/p/1' });

const outbox = (e: TestEnv, name: string) =>
  createChannel(e.ctx, e.workspaceId, { name, kind: 'outbox', config: { medium: 'sms' } });

const inUse = async (e: TestEnv, id: string) =>
  (
    await e.db.kysely
      .selectFrom('messaging_channels')
      .select('in_use')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).in_use;

/** The messages → channels foreign keys and the provider_ref index's definition, as the database reports them. */
async function schemaOf(e: TestEnv): Promise<{ channelFk: boolean; providerRefIndex: string }> {
  const k = e.db.kysely;
  if (e.db.dialect === 'postgres') {
    const fk = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_constraint
      WHERE conrelid = 'messages'::regclass AND contype = 'f'`.execute(k);
    const ix = await sql<{ d: string }>`SELECT indexdef AS d FROM pg_indexes
      WHERE tablename = 'messages' AND indexname = 'messages_provider_ref_idx'`.execute(k);
    return { channelFk: Number(fk.rows[0]?.n) > 0, providerRefIndex: ix.rows[0]?.d ?? '' };
  }
  const fk = await sql<{ table: string }>`SELECT "table" FROM pragma_foreign_key_list('messages')`.execute(k);
  const ix = await sql<{ d: string }>`SELECT sql AS d FROM sqlite_master
    WHERE type = 'index' AND name = 'messages_provider_ref_idx'`.execute(k);
  return { channelFk: fk.rows.some((r) => r.table === 'messaging_channels'), providerRefIndex: ix.rows[0]?.d ?? '' };
}

describeBothDatabases('messages without the channel foreign key (migration 0061)', (env) => {
  it('a channel that has sent messages is marked used: it cannot be deleted, its medium is fixed', async () => {
    const e = env();
    const ids = await seedCustomers(e, [{ nick: '用过甲', phone: '13900000101' }]);
    const used = await outbox(e, '用过的发件箱');
    const spare = await outbox(e, '没用过的发件箱');
    expect(await inUse(e, used.id)).toBe(0);
    const tally = await recordBatch(e.ctx, e.workspaceId, batch('wc-1', used.id, [ids['用过甲']!]));
    expect(tally.sendNow).toBe(1);
    expect(await inUse(e, used.id)).toBe(1);
    await expect(deleteChannel(e.ctx, e.workspaceId, used.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(updateChannel(e.ctx, e.workspaceId, used.id, { config: { medium: 'email' } })).rejects.toMatchObject({
      code: 'conflict',
    });
    // A dry run writes nothing and leaves an unused channel free.
    await recordBatch(e.ctx, e.workspaceId, { ...batch('wc-2', spare.id, [ids['用过甲']!]), dry: true });
    expect(await inUse(e, spare.id)).toBe(0);
    await deleteChannel(e.ctx, e.workspaceId, spare.id);
    const left = await e.db.kysely
      .selectFrom('messaging_channels')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', 'in', [used.id, spare.id])
      .execute();
    expect(left.map((r) => r.id)).toEqual([used.id]);
  });

  it('writing messages to a deleted channel fails instead of leaving them without one', async () => {
    const e = env();
    const ids = await seedCustomers(e, [{ nick: '删后甲', phone: '13900000102' }]);
    const ch = await outbox(e, '将删的发件箱');
    await deleteChannel(e.ctx, e.workspaceId, ch.id);
    await expect(
      e.db.kysely.transaction().execute((trx) => holdChannel(trx, e.db.dialect, e.workspaceId, ch.id)),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(recordBatch(e.ctx, e.workspaceId, batch('wc-3', ch.id, [ids['删后甲']!]))).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('PostgreSQL: a deletion waits for a transaction holding the channel, then refuses it', async () => {
    const e = env();
    if (e.db.dialect !== 'postgres') return;
    const ch = await outbox(e, '并发的发件箱');
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    let holding!: () => void;
    const isHeld = new Promise<void>((ok) => (holding = ok));
    const writer = e.db.kysely.transaction().execute(async (trx) => {
      await holdChannel(trx, 'postgres', e.workspaceId, ch.id);
      holding();
      await held;
    });
    await isHeld;
    let settled = false;
    const deletion = deleteChannel(e.ctx, e.workspaceId, ch.id).finally(() => (settled = true));
    deletion.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // blocked on the row lock
    release();
    await writer;
    await expect(deletion).rejects.toMatchObject({ code: 'conflict' });
  });

  it('the migration marks channels already used, keeps every message and link, and drops the foreign key', async () => {
    const e = env();
    const m = messagesWriteCost(e.db.dialect);
    await m.down(e.db.kysely as never);
    expect(await schemaOf(e)).toMatchObject({ channelFk: true });
    expect((await schemaOf(e)).providerRefIndex.toLowerCase()).not.toContain('where');
    const ids = await seedCustomers(e, [{ nick: '迁移甲', phone: '13900000103' }]);
    const used = await outbox(e, '迁移前用过');
    const spare = await outbox(e, '迁移前没用过');
    // Written as before the migration (no in_use to mark): a message with its link.
    const at = e.ctx.now().toISOString();
    await e.db.kysely
      .insertInto('messages')
      .values(
        messageRow(e.workspaceId, 'wc-4-m', at, {
          source_id: 'wc-4',
          customer_id: ids['迁移甲']!,
          channel_id: used.id,
          contact: '13900000103',
          contact_key: 'sms:13900000103',
          body: '迁移甲，您的订单已发货',
        }),
      )
      .execute();
    await e.db.kysely
      .insertInto('message_links')
      .values({
        workspace_id: e.workspaceId,
        code: 'wc4link',
        message_id: 'wc-4-m',
        customer_id: ids['迁移甲']!,
        kind: 'click',
        url: 'https://shop.example.com/p/1',
        created_at: at,
      })
      .execute();
    const count = async (table: 'messages' | 'message_links') =>
      Number(
        (
          await e.db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('workspace_id', '=', e.workspaceId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = { messages: await count('messages'), links: await count('message_links') };
    expect(before.links).toBeGreaterThan(0);
    await m.up(e.db.kysely as never);
    expect({ messages: await count('messages'), links: await count('message_links') }).toEqual(before);
    expect(await inUse(e, used.id)).toBe(1);
    expect(await inUse(e, spare.id)).toBe(0);
    const s = await schemaOf(e);
    expect(s.channelFk).toBe(false);
    expect(s.providerRefIndex.toLowerCase()).toMatch(/where.*provider_ref.*is not null/);
    // The links' foreign key still names messages (SQLite: the rebuilt table), and still cascades.
    const msg = await e.db.kysely
      .selectFrom('messages')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', 'wc-4')
      .executeTakeFirstOrThrow();
    await e.db.kysely
      .deleteFrom('messages')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', msg.id)
      .execute();
    expect(await count('message_links')).toBe(before.links - 1);
  });

  it('a receipt by provider serial number still finds its message through the partial index', async () => {
    const e = env();
    const k = e.db.kysely;
    const q = sql`SELECT id FROM messages WHERE workspace_id = ${e.workspaceId} AND channel_id = ${'c'}
      AND provider_ref = ${'ref-1'}`;
    let plan: string;
    if (e.db.dialect === 'postgres') {
      plan = await k.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const r = await sql<Record<string, string>>`EXPLAIN ${q}`.execute(trx);
        return r.rows.map((x) => Object.values(x)[0]).join('\n');
      });
    } else {
      const r = await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${q}`.execute(k);
      plan = r.rows.map((x) => x.detail).join('\n');
    }
    expect(plan).toContain('messages_provider_ref_idx');
  });
});

/** The plan the database chooses for `q` (PostgreSQL with sequential scans off: a test database is tiny). */
async function planOf(e: TestEnv, q: ReturnType<typeof sql>): Promise<string> {
  const k = e.db.kysely;
  if (e.db.dialect === 'postgres')
    return k.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const r = await sql<Record<string, string>>`EXPLAIN ${q}`.execute(trx);
      return r.rows.map((x) => Object.values(x)[0]).join('\n');
    });
  const r = await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${q}`.execute(k);
  return r.rows.map((x) => x.detail).join('\n');
}

describeBothDatabases('the delivery queue index (migration 0067)', (env) => {
  it('only queued messages are indexed by source; a campaign delivery batch reads the queue', async () => {
    const e = env();
    const k = e.db.kysely;
    const def =
      e.db.dialect === 'postgres'
        ? await sql<{ d: string }>`SELECT indexdef AS d FROM pg_indexes WHERE tablename = 'messages'
            AND indexname IN ('messages_queue_idx', 'messages_source_idx')`.execute(k)
        : await sql<{ d: string }>`SELECT sql AS d FROM sqlite_master WHERE type = 'index'
            AND name IN ('messages_queue_idx', 'messages_source_idx')`.execute(k);
    expect(def.rows).toHaveLength(1);
    expect(def.rows[0]?.d).toMatch(/messages_queue_idx/);
    expect(def.rows[0]?.d).toMatch(/WHERE \(?\(?status\)?(::text)? = 'queued'/);

    const ws = e.workspaceId;
    // A campaign's delivery batch and "is its queue empty": the queue index.
    const campaignDue = sql`SELECT id, attempts FROM messages WHERE workspace_id = ${ws} AND source_type = 'campaign'
      AND source_id = ${'c1'} AND status = 'queued' AND send_at <= ${new Date().toISOString()}
      ORDER BY send_at, id LIMIT 500`;
    const duePlan = await planOf(e, campaignDue);
    expect(duePlan).toContain('messages_queue_idx');
    // The index ends in (send_at, id) (migration 0068): the batch is read in order, no sort of every due message.
    expect(def.rows[0]?.d).toMatch(/send_at"?, "?id"?\)/);
    expect(duePlan).not.toMatch(/TEMP B-TREE|Sort/);
    // The other reads by source (the report, the plan's resume) were looked at with EXPLAIN on a 1M-message
    // database (README, Campaigns): a tiny test table's plan says little about them.
  });

  it('the migration down and up again keeps the messages and swaps the two indexes', async () => {
    const e = env();
    const ids = await seedCustomers(e, [{ nick: '队列甲', phone: '13900000201' }]);
    const ch = await outbox(e, '队列发件箱');
    await recordBatch(e.ctx, e.workspaceId, batch('q-1', ch.id, [ids['队列甲']!]));
    const k = e.db.kysely as never;
    const names = async () =>
      (e.db.dialect === 'postgres'
        ? await sql<{ n: string }>`SELECT indexname AS n FROM pg_indexes WHERE tablename = 'messages'`.execute(k)
        : await sql<{ n: string }>`SELECT name AS n FROM sqlite_master WHERE type = 'index'
            AND tbl_name = 'messages'`.execute(k)
      ).rows.map((r) => r.n);
    await messagesQueueOrder().down(k);
    await messagesQueueIndex().down(k);
    expect(await names()).toContain('messages_source_idx');
    expect(await names()).not.toContain('messages_queue_idx');
    await messagesQueueIndex().up(k);
    await messagesQueueOrder().up(k);
    expect(await names()).toContain('messages_queue_idx');
    expect(await names()).not.toContain('messages_source_idx');
    const n = await e.db.kysely
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', 'q-1')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });
});
