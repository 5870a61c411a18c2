import { expect, it } from 'vitest';
import { importCustomerAttributes } from '../../src/modules/customers/attributes.js';
import { customerDetail } from '../../src/modules/customers/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { customerTags, listGroups } from '../../src/modules/tags/service.js';
import { describeBothDatabases, fixture } from '../helpers.js';

describeBothDatabases('customer attribute import', (env) => {
  it('sets fields, flags, tags and groups by nick or phone, and rejects bad rows with line and column', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: fixture('taobao-orders-gbk.csv') });
    const s = await importCustomerAttributes(ctx, workspaceId, fixture('customer-attributes.csv'), null);
    expect([s.rowsRead, s.customersUpdated, s.rowsRejected]).toEqual([5, 2, 3]);
    expect(s.errors.map((e) => [e.line, e.column, e.reason])).toEqual([
      [5, '性别', 'gender is 男 or 女'],
      [6, '生日', 'not a date like 1995-03-15'],
      [4, '买家昵称', 'no customer with 买家昵称 不存在的人'],
    ]);
    const lili = await ctx.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('display_name', '=', 'tb_lili2019')
      .executeTakeFirstOrThrow();
    const d = await customerDetail(ctx, workspaceId, lili.id, 'owner');
    expect(d).toMatchObject({
      gender: 'female',
      birthday: '1992-03-08',
      wechat: 'lili_wx',
      flags: { isBlacklisted: false, optOutSms: true },
    });
    expect((await customerTags(ctx, workspaceId, lili.id)).map((t) => t.name)).toEqual(['VIP', '爱买大衣']);
    expect((await listGroups(ctx, workspaceId)).map((g) => [g.name, Number(g.customers)])).toEqual([['重点客户', 1]]);
    const fish = await ctx.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('phone', '=', '13900001111')
      .executeTakeFirstOrThrow();
    expect((await customerDetail(ctx, workspaceId, fish.id, 'owner')).birthday).toBe('1998-07-01');
    // Running the same file again changes nothing more.
    const again = await importCustomerAttributes(ctx, workspaceId, fixture('customer-attributes.csv'), null);
    expect(again.customersUpdated).toBe(2);
    expect((await customerTags(ctx, workspaceId, lili.id)).map((t) => t.name)).toEqual(['VIP', '爱买大衣']);
  });

  it('refuses a file that names no customer column', async () => {
    const { ctx, workspaceId } = env();
    await expect(importCustomerAttributes(ctx, workspaceId, fixture('not-an-export.csv'), null)).rejects.toThrow(
      /客户ID, 买家昵称 or 手机/,
    );
  });
});
