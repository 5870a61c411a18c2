import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createUser, login, SESSION_COOKIE } from '../../src/modules/auth/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

// 22:30 in Shanghai on 2026-11-23: the demo is loaded "now".
const T = '2026-11-23T14:30:00.000Z';
const localDay = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10);

describeBothDatabases('the demo shop runs up to the moment it is loaded', (env) => {
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    env().setNow(T);
    await loadDemo(ctx, workspaceId, { customers: 1500, until: new Date(T) });
    await createWorker(ctx, { handlers: jobHandlers }).drain();
  }, 240_000);

  it('writes down every demo customer’s consent (授权记录), as the profile’s source says it', async () => {
    const { db, workspaceId } = env();
    const customers = await db.kysely
      .selectFrom('customers')
      .select(['id', 'marketing_consent', 'consent_source'])
      .where('workspace_id', '=', workspaceId)
      .where('consent_source', '=', 'demo:会员入会')
      .execute();
    expect(customers.length).toBeGreaterThan(100);
    const events = await db.kysely
      .selectFrom('consent_events')
      .select(['customer_id', 'channel', 'old_value', 'new_value', 'source', 'detail'])
      .where('workspace_id', '=', workspaceId)
      .where('source', '=', 'demo')
      .execute();
    const byCustomer = new Map(events.map((e) => [e.customer_id, e]));
    expect(events).toHaveLength(customers.length);
    for (const c of customers)
      expect(byCustomer.get(c.id), c.id).toEqual({
        customer_id: c.id,
        channel: 'marketing',
        old_value: 'unknown',
        new_value: c.marketing_consent,
        source: 'demo',
        detail: 'demo:会员入会',
      });
  });

  it('has paid orders today and yesterday (local), spread over the day, none after the load time', async () => {
    const { db, workspaceId } = env();
    const orders = await db.kysely
      .selectFrom('orders')
      .select(['created_at', 'paid_at', 'shipped_at', 'signed_at'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    const paid = orders.filter((o) => o.paid_at).map((o) => o.paid_at!);
    const today = paid.filter((p) => localDay(p) === '2026-11-23');
    const yesterday = paid.filter((p) => localDay(p) === '2026-11-22');
    expect(today.length).toBeGreaterThan(0);
    expect(yesterday.length).toBeGreaterThan(0);
    // Not all at one moment of the day: several local hours.
    const hours = new Set([...today, ...yesterday].map((p) => new Date(Date.parse(p) + 8 * 3600_000).getUTCHours()));
    expect(hours.size).toBeGreaterThan(1);
    for (const o of orders)
      for (const t of [o.created_at, o.paid_at, o.shipped_at, o.signed_at])
        if (t) expect(Date.parse(t)).toBeLessThanOrEqual(Date.parse(T));
  });

  it('shows non-zero today figures on the dashboard', async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'owner-now', password: 'owner-now-password', role: 'owner' });
    const { token } = await login(ctx, { login: 'owner-now', password: 'owner-now-password', workspaceId });
    const app = await buildServer(ctx, { dataDir: scratchDir('huike-demonow-') });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/analytics/dashboard?days=30',
        headers: { cookie: `${SESSION_COOKIE}=${token}`, 'x-huike-client': 'test' },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { today: { orders: number; revenueFen: number; buyers: number } };
      expect(body.today.orders).toBeGreaterThan(0);
      expect(body.today.revenueFen).toBeGreaterThan(0);
      expect(body.today.buyers).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('dates every order points entry within its order’s lifetime, not at the load time', async () => {
    const { db, workspaceId } = env();
    const rows = await db.kysely
      .selectFrom('points_entries as e')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'e.workspace_id').onRef('o.id', '=', 'e.order_id'),
      )
      .select(['e.kind', 'e.created_at', 'o.paid_at', 'o.shipped_at', 'o.signed_at'])
      .where('e.workspace_id', '=', workspaceId)
      .execute();
    expect(rows.filter((r) => r.kind === 'earn').length).toBeGreaterThan(100);
    for (const r of rows) {
      const at = Date.parse(r.created_at);
      const paid = Date.parse(r.paid_at!);
      const last = Math.max(paid, Date.parse(r.shipped_at ?? r.paid_at!), Date.parse(r.signed_at ?? r.paid_at!));
      if (r.kind === 'earn') expect(at).toBe(paid);
      else {
        expect(at).toBeGreaterThanOrEqual(paid);
        expect(at).toBeLessThanOrEqual(Math.min(last + 86_400_000, Date.parse(T)));
      }
    }
    // Points of orders paid two years ago have expired since, written off when they expired.
    const expired = await db.kysely
      .selectFrom('points_entries')
      .select(['created_at'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'expire')
      .execute();
    expect(expired.length).toBeGreaterThan(0);
    for (const e of expired) expect(Date.parse(e.created_at)).toBeLessThan(Date.parse(T));
  });
});
