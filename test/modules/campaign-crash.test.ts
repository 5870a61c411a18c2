import { expect, it } from 'vitest';
import { launchCampaign, createCampaign } from '../../src/modules/campaigns/service.js';
import { createChannel, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { describeBothDatabases } from '../helpers.js';
import { seedCustomers } from '../support/messaging.js';
import { exited, spawnTs, waitFor } from '../support/processes.js';

const MORNING = '2026-11-23T02:00:00.000Z'; // 10:00 in Shanghai

describeBothDatabases('campaign crash safety', (env) => {
  it('a worker killed mid-campaign: after a restart nobody has two messages and nobody is skipped', async () => {
    const e = env();
    e.setNow(MORNING);
    const n = 700; // two plan batches of 500
    await seedCustomers(
      e,
      Array.from({ length: n }, (_, i) => ({ nick: `kx-${i}`, phone: `133${String(i).padStart(8, '0')}` })),
    );
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
    const outbox = await createChannel(e.ctx, e.workspaceId, { name: '发件箱', kind: 'outbox' });
    const seg = await saveSegment(e.ctx, e.workspaceId, {
      name: 'kx',
      rule: { field: 'name', op: 'starts_with', value: 'kx-' },
    });
    const c = await createCampaign(
      e.ctx,
      e.workspaceId,
      {
        name: '崩溃测试',
        segmentId: seg.id,
        channelId: outbox.id,
        holdoutPct: 10,
        seed: 'crash',
        variants: [{ key: 'A', content: { text: '#客户昵称#，会员日 8 折' } }],
      },
      null,
    );
    await launchCampaign(e.ctx, e.workspaceId, c.id);
    const k = e.db.kysely;
    const count = async (status?: string) => {
      let q = k
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', e.workspaceId)
        .where('source_id', '=', c.id);
      if (status) q = q.where('status', '=', status);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    const a = spawnTs('test/support/campaign-worker-child.ts', [e.url, MORNING, '1500'], {});
    await waitFor('the first worker to be planning or sending', async () => (await count()) > 0, 60_000);
    a.kill('SIGKILL');
    await exited(a);
    const atKill = { messages: await count(), sent: await count('sent') };
    const b = spawnTs('test/support/campaign-worker-child.ts', [e.url, MORNING, '1500'], {});
    try {
      await waitFor('every recipient to be sent', async () => (await count('sent')) === 630, 120_000, 100);
    } finally {
      b.kill('SIGKILL');
      await exited(b);
    }
    expect(atKill.sent).toBeLessThan(630);
    expect(await count()).toBe(630);
    const perCustomer = await k
      .selectFrom('messages')
      .select(['customer_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', c.id)
      .groupBy('customer_id')
      .execute();
    expect(perCustomer).toHaveLength(630);
    expect(perCustomer.every((r) => Number(r.n) === 1)).toBe(true);
    const control = await k
      .selectFrom('campaign_recipients')
      .select('customer_id')
      .where('workspace_id', '=', e.workspaceId)
      .where('campaign_id', '=', c.id)
      .where('grp', '=', 'control')
      .execute();
    expect(control).toHaveLength(70);
  }, 240_000);
});
