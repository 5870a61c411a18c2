import { expect, it } from 'vitest';
import { bulkInsert, bulkUpdate } from '../../src/db/bulk.js';
import { describeBothDatabases } from '../helpers.js';

describeBothDatabases('bulkUpdate', (env) => {
  it('updates each row by its key, leaves columns a row does not give alone, and touches no other row', async () => {
    const { db, workspaceId: ws } = env();
    const at = '2026-11-23T04:00:00.000Z';
    const customer = (id: string, name: string) => ({
      workspace_id: ws,
      id,
      display_name: name,
      phone: null,
      province: '浙江省',
      marketing_consent: 'unknown',
      created_at: at,
      updated_at: at,
    });
    await bulkInsert(db.kysely, db.dialect, 'customers', [
      customer('bu-1', '甲'),
      customer('bu-2', '乙'),
      customer('bu-3', '丙'),
    ]);
    const later = '2026-11-24T05:06:07.000Z';
    await bulkUpdate(
      db.kysely,
      db.dialect,
      'customers',
      ['workspace_id', 'id'],
      [
        { workspace_id: ws, id: 'bu-1', display_name: '甲二', phone: '13800000001', updated_at: later },
        // No display name given: it stays; a null given is written.
        { workspace_id: ws, id: 'bu-2', display_name: undefined, province: null, updated_at: later },
      ],
    );
    const rows = await db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name', 'phone', 'province', 'updated_at'])
      .where('workspace_id', '=', ws)
      .where('id', 'in', ['bu-1', 'bu-2', 'bu-3'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.id, r.display_name, r.phone, r.province, new Date(r.updated_at).toISOString()])).toEqual([
      ['bu-1', '甲二', '13800000001', '浙江省', later],
      ['bu-2', '乙', null, null, later],
      ['bu-3', '丙', null, '浙江省', at],
    ]);
  });
});
