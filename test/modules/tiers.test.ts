import { CompiledQuery } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_TIERS } from '../../src/core/tiers.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import {
  evaluateUpgrades,
  getTierSettings,
  memberTier,
  previewTiers,
  reevaluateYear,
  setTierFloor,
  setTierSettings,
} from '../../src/modules/membership/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import type { Store } from '../../src/db/types.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { loggedDatabase } from '../support/plans.js';
import { orderRecord } from '../support/records.js';

const buyer = (nick: string) => ({ nick, externalId: null, email: null, phone: null, name: null });

describeBothDatabases('member tiers', (env) => {
  let store: Store;
  const ids: Record<string, string> = {};
  const buy = async (e: TestEnv, n: number, nick: string, at: string, yuan: number) =>
    e.db.kysely
      .transaction()
      .execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          orderRecord({ externalId: String(n), createdAt: at, paidFen: yuan * 100, buyer: buyer(nick) }),
        ]),
      );
  const tierOf = async (e: TestEnv, nick: string) => (await memberTier(e.ctx, e.workspaceId, ids[nick]!)).tier?.name;

  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    store = await ensureStore(e.ctx, e.workspaceId, '会员店', 'tmall');
    await buy(e, 1, 'ana', '2026-06-01T02:00:00.000Z', 600); // 12 months ≥ ¥500 → 银卡
    await buy(e, 2, 'bo', '2024-01-01T02:00:00.000Z', 2600); // cumulative ≥ ¥2,500 → 金卡
    await buy(e, 3, 'cy', '2026-03-01T02:00:00.000Z', 3000); // 12 months ≥ ¥3,000 → 钻石
    await buy(e, 4, 'dan', '2026-10-01T02:00:00.000Z', 100); // 普通会员
    for (const c of await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute())
      ids[c.display_name] = c.id;
  });

  it('members join at the tier their purchases qualify for (12-month OR cumulative spend)', async () => {
    const e = env();
    expect(await evaluateUpgrades(e.ctx, e.workspaceId)).toEqual({ joined: 4, upgraded: 0 });
    expect([await tierOf(e, 'ana'), await tierOf(e, 'bo'), await tierOf(e, 'cy'), await tierOf(e, 'dan')]).toEqual([
      '银卡',
      '金卡',
      '钻石',
      '普通会员',
    ]);
    expect((await memberTier(e.ctx, e.workspaceId, ids.ana!)).tier?.benefits.discountPercent).toBe(98);
    expect(await evaluateUpgrades(e.ctx, e.workspaceId)).toEqual({ joined: 0, upgraded: 0 });
  });

  it('an order that qualifies upgrades at once, with the reason in the history', async () => {
    const e = env();
    await buy(e, 5, 'ana', '2026-11-20T02:00:00.000Z', 1000); // 12 months now ¥1,600 → 金卡
    // Evaluated twice at once (the worker after an import, a click on 重新评估): one move, one history row.
    await Promise.all([evaluateUpgrades(e.ctx, e.workspaceId), evaluateUpgrades(e.ctx, e.workspaceId)]);
    const t = await memberTier(e.ctx, e.workspaceId, ids.ana!);
    expect(t.tier?.name).toBe('金卡');
    expect(t.history[0]).toMatchObject({ from: 'silver', to: 'gold', reason: 'purchases qualify for 金卡' });
    expect(t.history.filter((h) => h.to === 'gold')).toHaveLength(1);
  });

  it('a tier set by staff is a floor', async () => {
    const e = env();
    await expect(setTierFloor(e.ctx, e.workspaceId, ids.dan!, 'platinum', 'vip', null)).rejects.toThrow(
      /unknown tier "platinum"/,
    );
    await setTierFloor(e.ctx, e.workspaceId, ids.dan!, 'gold', '老板的朋友', 'U1');
    expect(await tierOf(e, 'dan')).toBe('金卡');
    expect((await memberTier(e.ctx, e.workspaceId, ids.dan!)).history[0]!.reason).toMatch(/set by staff.*老板的朋友/);
  });

  it('the what-if preview counts who would move before anything is saved', async () => {
    const e = env();
    // Raise 银卡 and 金卡 to 12-month spend only, and 钻石 to ¥10,000.
    const proposed = structuredClone(DEFAULT_TIERS);
    proposed.tiers[1]!.totalSpentFen = null;
    proposed.tiers[2]!.totalSpentFen = null;
    proposed.tiers[3]!.spend12mFen = 1_000_000;
    proposed.tiers[3]!.totalSpentFen = null;
    const p = await previewTiers(e.ctx, e.workspaceId, proposed);
    // ana 金卡 (¥1,600 in 12 months) stays; bo (¥0 in 12 months) → 普通; cy (¥3,000) → 金卡; dan's floor keeps 金卡.
    expect(p.after.map((t) => [t.name, t.members])).toEqual([
      ['普通会员', 1],
      ['银卡', 0],
      ['金卡', 3],
      ['钻石', 0],
    ]);
    expect([p.wouldMoveUp, p.wouldMoveDown]).toEqual([0, 2]);
    expect(await tierOf(e, 'cy')).toBe('钻石'); // nothing applied
    // What the edit itself moves, apart from what re-evaluating would move anyway: the unchanged settings move
    // nobody (their preview said "2 down", read as caused by an edit that changed nothing).
    const same = await previewTiers(e.ctx, e.workspaceId, await getTierSettings(e.ctx, e.workspaceId));
    expect(same.changedByEdit).toBe(0);
    expect(p.changedByEdit).toBe(2); // bo and cy
  });

  it('the yearly re-evaluation goes down at most one level, never below the floor', async () => {
    const e = env();
    e.setNow('2027-12-01T04:00:00.000Z');
    await recomputeAllStats(e.db, e.workspaceId, e.ctx.now().toISOString());
    // Only 12-month spend counts now: nobody bought in the last year.
    const onlyRecent = structuredClone(DEFAULT_TIERS);
    for (const t of onlyRecent.tiers.slice(1)) t.totalSpentFen = null;
    await setTierSettings(e.ctx, e.workspaceId, onlyRecent);
    const { db: logged, statements } = loggedDatabase(e.url);
    const r = await reevaluateYear({ ...e.ctx, db: logged }, e.workspaceId).finally(() => logged.close());
    expect(r).toMatchObject({ reviewed: 4, down: 3 });
    // One update per move (diamond → gold, gold → silver for two, gold → gold), each reading its members by key:
    // SQLite without statistics took the tier's index and read every member of the tier for each statement.
    const updates = statements.filter((q) => /^update "member_tiers"/.test(q.sql));
    expect(updates).toHaveLength(3);
    if (e.db.dialect === 'sqlite')
      for (const q of updates) {
        const plan = await e.db.kysely.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]),
        );
        expect(plan.rows[0]?.detail).toMatch(
          /USING INDEX sqlite_autoindex_member_tiers_1 \(workspace_id=\? AND customer_id=\?\)/,
        );
      }
    // cy 钻石 → 金卡 (one level, though qualifying only for 普通); ana 金卡 → 银卡; bo 金卡 → 银卡; dan keeps the 金卡 floor.
    expect([await tierOf(e, 'ana'), await tierOf(e, 'bo'), await tierOf(e, 'cy'), await tierOf(e, 'dan')]).toEqual([
      '银卡',
      '银卡',
      '金卡',
      '金卡',
    ]);
    expect((await memberTier(e.ctx, e.workspaceId, ids.cy!)).history[0]).toMatchObject({
      from: 'diamond',
      to: 'gold',
      reason: 'yearly re-evaluation: qualifies for 普通会员',
    });
    // One history row per member moved (ana and bo moved together, gold → silver), none for dan who stayed.
    const yearly = await e.db.kysely
      .selectFrom('tier_history')
      .select(['customer_id', 'from_key', 'to_key'])
      .where('workspace_id', '=', e.workspaceId)
      .where('reason_key', '=', 'tier.yearly')
      .orderBy('to_key')
      .execute();
    expect(yearly.map((h) => [h.customer_id, h.from_key, h.to_key]).sort()).toEqual(
      [
        [ids.ana, 'gold', 'silver'],
        [ids.bo, 'gold', 'silver'],
        [ids.cy, 'diamond', 'gold'],
      ].sort(),
    );
    // The cycle restarted: running it again the same day changes nothing.
    expect(await reevaluateYear(e.ctx, e.workspaceId)).toEqual({ reviewed: 0, down: 0, up: 0 });
  });

  it('refuses a tier ladder that makes no sense, naming the problem', async () => {
    const e = env();
    const bad = structuredClone(DEFAULT_TIERS);
    bad.tiers[2]!.spend12mFen = 100;
    await expect(setTierSettings(e.ctx, e.workspaceId, bad)).rejects.toThrow(
      /spend12mFen of "金卡" must be above that of "银卡"/,
    );
    const dup = structuredClone(DEFAULT_TIERS);
    dup.tiers[3]!.key = 'gold';
    await expect(setTierSettings(e.ctx, e.workspaceId, dup)).rejects.toThrow(/duplicate tier key "gold"/);
  });
});
