import { expect, it } from 'vitest';
import { campaignAttribution, campaignReport } from '../../src/modules/campaigns/report.js';
import { listCampaigns } from '../../src/modules/campaigns/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { evaluateUpgrades } from '../../src/modules/membership/service.js';
import { describeBothDatabases } from '../helpers.js';

describeBothDatabases('demo campaigns', (env) => {
  it('the demo shop ships past campaigns whose recipients bought more than their control group', async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    await loadDemo(e.ctx, e.workspaceId, { customers: 1500, seed: 7 });
    const campaigns = await listCampaigns(e.ctx, e.workspaceId);
    expect(campaigns.length).toBeGreaterThanOrEqual(2);
    for (const c of campaigns) {
      expect(c.status).toBe('done');
      const report = await campaignReport(e.ctx, e.workspaceId, c.id);
      expect(report.sent).toBeGreaterThan(0);
      expect(report.control).toBeGreaterThan(0);
      const a = await campaignAttribution(e.ctx, e.workspaceId, c.id);
      expect(a.overall!.treated.conversion).toBeGreaterThan(a.overall!.control.conversion);
      expect(a.overall!.incrementalOrders.value).toBeGreaterThan(0);
    }
    const withCoupon = campaigns.find((c) => c.couponTemplateId);
    expect(withCoupon).toBeDefined();
    const coupons = await e.db.kysely
      .selectFrom('coupons')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('idempotency_key', 'like', `campaign:${withCoupon!.id}:%`)
      .execute();
    expect(coupons.length).toBeGreaterThan(0);
    // The campaigns' orders are counted in the tiers too: a fresh evaluation right after the load upgrades no one.
    expect(await evaluateUpgrades(e.ctx, e.workspaceId)).toEqual({ joined: 0, upgraded: 0 });
  }, 240_000);
});
