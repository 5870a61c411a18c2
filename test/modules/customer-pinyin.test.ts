import { type Kysely, sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { customerPinyin } from '../../src/core/pinyin-keys.js';
import { customerNamePinyin } from '../../src/db/migrations/0073_customer_name_pinyin.js';
import type { Store } from '../../src/db/types.js';
import { createUser } from '../../src/modules/auth/service.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, fixture, scratchDir, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

const at = '2026-10-01T02:00:00.000Z';
const order = (externalId: string, nick: string | null, receiverName: string | null, phone: string | null = null) =>
  orderRecord({
    externalId,
    createdAt: at,
    paidFen: 5000,
    buyer: { nick, externalId: null, email: null, phone, name: null },
    receiverName,
  });

async function ingest(e: TestEnv, store: Store, records: OrderRecord[]) {
  await e.db.kysely
    .transaction()
    .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
}

/** Every customer a search finds (all pages), as display names, sorted; and the field each matched by. */
async function search(e: TestEnv, q: string, workspaceId = e.workspaceId) {
  const found: { name: string; matched: string | null }[] = [];
  let cursor: string | undefined;
  do {
    const page = await searchCustomers(e.ctx, workspaceId, { sort: 'newest', limit: 2, q, cursor } as never, 'owner');
    found.push(...page.items.map((i) => ({ name: i.name, matched: i.matched })));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return found.sort((a, b) => (a.name < b.name ? -1 : 1));
}
const names = async (e: TestEnv, q: string, workspaceId?: string) =>
  (await search(e, q, workspaceId)).map((f) => f.name);

/** Each customer's stored keys and the keys its stored names and nicks give now. */
async function storedAndDue(e: TestEnv, workspaceId = e.workspaceId) {
  const k = e.db.kysely;
  const people = await k
    .selectFrom('customers')
    .select(['id', 'display_name', 'real_name', 'name_pinyin'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('id')
    .execute();
  const nicks = await k
    .selectFrom('customer_identities')
    .select(['customer_id', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'nick')
    .execute();
  return people.map((c) => ({
    name: c.display_name,
    stored: c.name_pinyin,
    due: customerPinyin(
      c.display_name,
      c.real_name,
      nicks.filter((n) => n.customer_id === c.id).map((n) => n.value),
    ),
  }));
}

describeBothDatabases('customer search by pinyin', (env) => {
  let store: Store;
  beforeAll(async () => {
    const e = env();
    store = await ensureStore(e.ctx, e.workspaceId, '回客旗舰店', 'taobao');
    await ingest(e, store, [
      order('o1', '小佳怡2019', '张佳怡'),
      order('o2', 'tb_abc', '曾小贤'),
      order('o3', '快乐的吕布', null),
      order('o4', 'plainbuyer', 'Lucy Li'),
      order('o5', '王五', '王五', '13900000088'),
      order('o6', '张家界导游', null),
    ]);
  });

  it('initials find the customer by the real name, and so does a prefix of them, in any case', async () => {
    const e = env();
    expect(await names(e, 'zjy')).toEqual(['小佳怡2019']);
    expect(await names(e, 'ZJY')).toEqual(['小佳怡2019']);
    // zj: 张佳怡's initials and 张家界导游's (zjjdy).
    expect(await names(e, 'zj')).toEqual(['小佳怡2019', '张家界导游']);
    expect(await search(e, 'zjy')).toEqual([{ name: '小佳怡2019', matched: 'realName' }]);
  });

  it('a prefix of the full pinyin finds it, any case, spaces and apostrophes left out', async () => {
    const e = env();
    for (const q of ['zhang', 'Zhang', 'zhangjia', 'ZHANGJIA', 'zhang jia', "zhang'jia"])
      expect(await names(e, q), q).toEqual(['小佳怡2019', '张家界导游']);
    for (const q of ['zhangjiay', 'ZhangJiaYi', 'zhang jia yi']) expect(await names(e, q), q).toEqual(['小佳怡2019']);
    expect(await names(e, 'zhangjiajie')).toEqual(['张家界导游']);
    // Not a prefix: the middle of a name is found by its characters, not by its pinyin.
    expect(await names(e, 'jiayi')).toEqual([]);
  });

  it('the pinyin of a Chinese nick finds the customer too, and says it matched the name', async () => {
    const e = env();
    expect(await search(e, 'xjy')).toEqual([{ name: '小佳怡2019', matched: 'name' }]);
    expect(await names(e, 'xiaojiayi2019')).toEqual(['小佳怡2019']);
    expect(await names(e, 'xjy2019')).toEqual(['小佳怡2019']);
    // 吕 typed as IMEs do, lv.
    expect(await names(e, 'kuailedelv')).toEqual(['快乐的吕布']);
    expect(await names(e, 'kldlb')).toEqual(['快乐的吕布']);
  });

  it('a surname read as a surname: 曾 is found by zeng as well as by ceng', async () => {
    const e = env();
    expect(await names(e, 'zeng')).toEqual(['tb_abc']);
    expect(await names(e, 'zengxiaoxian')).toEqual(['tb_abc']);
    expect(await names(e, 'ceng')).toEqual(['tb_abc']);
    expect(await names(e, 'zxx')).toEqual(['tb_abc']);
  });

  it('Chinese, phone-tail, nick and Latin-name searches find what they found before', async () => {
    const e = env();
    expect(await names(e, '佳怡')).toEqual(['小佳怡2019']);
    expect(await names(e, '张')).toEqual(['小佳怡2019', '张家界导游']);
    expect(await search(e, '0088')).toEqual([{ name: '王五', matched: 'phone' }]);
    expect(await search(e, 'tb_abc')).toEqual([{ name: 'tb_abc', matched: 'name' }]);
    // A Latin name has no pinyin keys; its letters are found as a part of the name.
    expect(await search(e, 'plain')).toEqual([{ name: 'plainbuyer', matched: 'name' }]);
    expect(await names(e, 'Lucy Li')).toEqual(['plainbuyer']);
    expect(await names(e, 'ww')).toEqual(['王五']);
  });

  it('text that is no pinyin never reaches the index as query syntax', async () => {
    const e = env();
    for (const q of ['zj*', 'zj:*', '"zj" OR zh', 'zj & !zh', "zj'*", 'z', 'NEAR(zj zh)', 'zj)'])
      expect(Array.isArray(await names(e, q)), q).toBe(true);
    expect(await names(e, 'zj*')).toEqual([]);
    expect(await names(e, 'z')).toEqual([]);
  });

  it('a real name changed through the API changes its pinyin; the old one no longer finds it', async () => {
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'py-owner', password: 'secret-pass-8', role: 'owner' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-py-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'py-owner', password: 'secret-pass-8' },
      });
      const headers = { 'x-huike-client': 'test', cookie: String(login.headers['set-cookie']).split(';')[0]! };
      const list = await app.inject({ method: 'GET', url: '/api/v1/customers?q=wangwu', headers });
      expect(list.statusCode).toBe(200);
      const [wang] = list.json().items as { id: string; name: string }[];
      expect(wang?.name).toBe('王五');
      const patch = await app.inject({
        method: 'PATCH',
        url: `/api/v1/customers/${wang!.id}`,
        headers,
        payload: { realName: '欧阳娜娜' },
      });
      expect(patch.statusCode).toBe(200);
      const found = await app.inject({ method: 'GET', url: '/api/v1/customers?q=OuYang', headers });
      expect(found.json().items.map((i: { name: string; matched: string }) => [i.name, i.matched])).toEqual([
        ['王五', 'realName'],
      ]);
      // 王五 is still the nick: wangwu finds the customer by it, ww too; the old real name's pinyin is gone.
      expect(await names(e, 'oyn')).toEqual(['王五']);
      expect(await names(e, 'wangwu')).toEqual(['王五']);
      const hostile = await app.inject({ method: 'GET', url: '/api/v1/customers?q=zj%3A*%7C', headers });
      expect(hostile.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    expect((await storedAndDue(e)).filter((c) => c.stored !== c.due)).toEqual([]);
  });

  it("a merge makes the target found by the source's nick; its undo takes that back", async () => {
    const e = env();
    const ids = Object.fromEntries(
      (
        await e.db.kysely
          .selectFrom('customers')
          .select(['id', 'display_name'])
          .where('workspace_id', '=', e.workspaceId)
          .execute()
      ).map((c) => [c.display_name, c.id]),
    ) as Record<string, string>;
    const merge = await mergeCustomers(e.ctx, e.workspaceId, ids['小佳怡2019']!, ids['快乐的吕布']!, null);
    expect(await search(e, 'kldlb')).toEqual([{ name: '小佳怡2019', matched: 'nick' }]);
    expect((await storedAndDue(e)).filter((c) => c.stored !== c.due)).toEqual([]);
    await undoMerge(e.ctx, e.workspaceId, merge.id);
    expect(await names(e, 'kldlb')).toEqual(['快乐的吕布']);
    expect((await storedAndDue(e)).filter((c) => c.stored !== c.due)).toEqual([]);
  });

  it('a nick linked to a customer by a later order (same phone) finds it by pinyin', async () => {
    const e = env();
    await ingest(e, store, [order('o7', '五哥的小号', null, '13900000088')]);
    expect(await names(e, 'wgdxh')).toEqual(['王五']);
    expect((await storedAndDue(e)).filter((c) => c.stored !== c.due)).toEqual([]);
  });

  it('the migration fills the keys of customers that were there before it, batch after batch', async () => {
    const e = env();
    const before = await storedAndDue(e);
    const migration = customerNamePinyin(e.db.dialect, 2);
    const db = e.db.kysely as unknown as Kysely<unknown>;
    await migration.down(db);
    if (e.db.dialect === 'sqlite') {
      // As a run stopped half-way leaves it (SQLite runs a migration outside a transaction): the column there,
      // some keys written, one of them stale. The run again starts over.
      await sql`ALTER TABLE customers ADD COLUMN name_pinyin TEXT`.execute(db);
      await sql`UPDATE customers SET name_pinyin = 'stale' WHERE display_name IN ('plainbuyer', '王五')`.execute(db);
    }
    await migration.up(db);
    const after = await storedAndDue(e);
    expect(after.filter((c) => c.due !== null).length).toBeGreaterThan(4);
    expect(after).toEqual(before);
    expect(after.every((c) => c.stored === c.due)).toBe(true);
    expect(await names(e, 'zjy')).toEqual(['小佳怡2019']);
    expect(await names(e, 'zeng')).toEqual(['tb_abc']);
    // The index follows writes after the rebuild too.
    await ingest(e, store, [order('o8', '李白', null)]);
    expect(await names(e, 'lib')).toEqual(['李白']);
  });

  it('an import through the read thread stores the keys the names give', async () => {
    const e = env();
    const run = await importFile(e.ctx, {
      workspaceId: e.workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    expect(run.status).toBe('done');
    const keys = await storedAndDue(e);
    expect(keys.filter((c) => c.stored !== c.due)).toEqual([]);
    expect(keys.find((c) => c.name === 'tb_lili2019')?.stored).toBe('lili ll');
    expect(await names(e, 'lili')).toEqual(['tb_lili2019']);
    expect(await names(e, 'xye')).toEqual(['小鱼儿0815']);
  });
});
