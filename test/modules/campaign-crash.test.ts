import { expect, it } from 'vitest';
import { launchCampaign, createCampaign, planCampaign } from '../../src/modules/campaigns/service.js';
import { createChannel, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { type TestEnv, describeBothDatabases } from '../helpers.js';
import { seedCustomers } from '../support/messaging.js';
import { exited, spawnTs, waitFor } from '../support/processes.js';

const MORNING = '2026-11-23T02:00:00.000Z'; // 10:00 in Shanghai

/** Launches a campaign (10 % held out) to the customers whose name starts with `${prefix}-`, over a new outbox. */
async function launchNamed(
  e: TestEnv,
  o: { prefix: string; channel: string; name: string; seed: string },
): Promise<{ id: string }> {
  await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
  const outbox = await createChannel(e.ctx, e.workspaceId, { name: o.channel, kind: 'outbox' });
  const seg = await saveSegment(e.ctx, e.workspaceId, {
    name: o.prefix,
    rule: { field: 'name', op: 'starts_with', value: `${o.prefix}-` },
  });
  const c = await createCampaign(
    e.ctx,
    e.workspaceId,
    {
      name: o.name,
      segmentId: seg.id,
      channelId: outbox.id,
      holdoutPct: 10,
      seed: o.seed,
      variants: [{ key: 'A', content: { text: '#客户昵称#，会员日 8 折' } }],
    },
    null,
  );
  await launchCampaign(e.ctx, e.workspaceId, c.id);
  return c;
}

describeBothDatabases('campaign crash safety', (env) => {
  it('a worker killed mid-campaign: after a restart nobody has two messages and nobody is skipped', async () => {
    const e = env();
    e.setNow(MORNING);
    const n = 700; // one chunk, planned on the job's thread
    await seedCustomers(
      e,
      Array.from({ length: n }, (_, i) => ({ nick: `kx-${i}`, phone: `133${String(i).padStart(8, '0')}` })),
    );
    const c = await launchNamed(e, { prefix: 'kx', channel: '发件箱', name: '崩溃测试', seed: 'crash' });
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
  it('killed while writing a chunk of the plan read on its own thread: resumed, one decision each', async () => {
    const e = env();
    e.setNow(MORNING);
    // 60 customers; five pairs 30 apart share a phone (one person): a pair's second customer is decided after the
    // kill, from the decisions the killed run committed.
    const nick = (i: number) => `kt-${String(i).padStart(3, '0')}`;
    const ids = await seedCustomers(
      e,
      Array.from({ length: 60 }, (_, i) => ({ nick: nick(i), phone: `134${String(i).padStart(8, '0')}` })),
    );
    const k = e.db.kysely;
    for (let i = 0; i < 5; i++) {
      const { phone } = await k
        .selectFrom('customers')
        .select('phone')
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', ids[nick(i)]!)
        .executeTakeFirstOrThrow();
      await k
        .updateTable('customers')
        .set({ phone })
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', ids[nick(i + 30)]!)
        .execute();
    }
    const c = await launchNamed(e, {
      prefix: 'kt',
      channel: '发件箱（分块）',
      name: '线程崩溃测试',
      seed: 'crash-thread',
    });
    const messages = () =>
      k
        .selectFrom('messages')
        .select(['customer_id', 'status', 'reason', 'contact_key'])
        .where('workspace_id', '=', e.workspaceId)
        .where('source_id', '=', c.id)
        .execute();
    // Chunks of 5 (SQLite: read and decided on the plan's reading thread); the first worker stops inside the
    // fourth chunk's writing transaction, the reading thread a chunk ahead, and is killed there.
    const a = spawnTs('test/support/campaign-worker-child.ts', [e.url, MORNING, '1500', '5', '4'], {});
    try {
      await waitFor(
        'the first worker to be writing the fourth chunk',
        async () => a.output().includes('chunk 4'),
        60_000,
      );
    } finally {
      a.kill('SIGKILL');
      await exited(a);
    }
    // The three committed chunks are there, the fourth is not.
    expect(await messages()).toHaveLength(15);
    // The plan job run again (here, as the next worker would): it resumes after the last committed chunk.
    await planCampaign(e.ctx, e.workspaceId, c.id, { chunk: 5, thread: true });
    const planned = await k
      .selectFrom('campaigns')
      .select('planned_at')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(planned.planned_at).not.toBeNull();
    const treated = await k
      .selectFrom('campaign_recipients')
      .select('customer_id')
      .where('workspace_id', '=', e.workspaceId)
      .where('campaign_id', '=', c.id)
      .where('grp', '!=', 'control')
      .execute();
    expect(treated).toHaveLength(54);
    const all = await messages();
    // Every treated customer decided exactly once, nobody left out.
    expect(all.map((m) => m.customer_id).sort()).toEqual(treated.map((t) => t.customer_id).sort());
    const messaged = all.filter((m) => m.status !== 'skipped'); // queued, or sent by the first worker
    const dupes = all.filter((m) => m.reason === 'duplicate_contact');
    // Each person (phone) messaged once; the rest held as the same contact, nothing else held.
    expect(new Set(messaged.map((m) => m.contact_key)).size).toBe(messaged.length);
    const isTreated = new Set(treated.map((t) => t.customer_id));
    const pairs = [0, 1, 2, 3, 4].filter((i) => isTreated.has(ids[nick(i)]!) && isTreated.has(ids[nick(i + 30)]!));
    expect(pairs.length).toBeGreaterThan(0);
    expect(dupes.map((d) => d.customer_id).sort()).toEqual(pairs.map((i) => ids[nick(i + 30)]!).sort());
    expect(messaged.length + dupes.length).toBe(54);
  }, 240_000);
});
