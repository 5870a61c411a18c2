import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import type { Worker } from '../../src/jobs/worker.js';
import type { TestEnv } from '../helpers.js';
import { orderRecord } from './records.js';

export interface CustomerSpec {
  nick: string;
  phone?: string | null;
  email?: string | null;
  consent?: boolean | null;
  paidFen?: number;
  paidAt?: string;
}

/** One paid order per spec, through the real ingestion: customer id by nick. */
export async function seedCustomers(env: TestEnv, specs: CustomerSpec[], storeName = '回客旗舰店') {
  const store = await ensureStore(env.ctx, env.workspaceId, storeName, 'tmall');
  const records = specs.map((s, i) =>
    orderRecord({
      externalId: `${storeName}-${s.nick}-${i}`,
      createdAt: s.paidAt ?? '2026-11-01T02:00:00.000Z',
      paidFen: s.paidFen ?? 10000,
      title: `商品${i}`,
      acceptsMarketing: s.consent === undefined ? true : s.consent,
      buyer: { nick: s.nick, externalId: null, email: s.email ?? null, phone: s.phone ?? null, name: null },
    }),
  );
  await env.db.kysely
    .transaction()
    .execute((trx) => ingestBatch(env.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
  const rows = await env.db.kysely
    .selectFrom('customers')
    .select(['id', 'display_name'])
    .where('workspace_id', '=', env.workspaceId)
    .where(
      'display_name',
      'in',
      specs.map((s) => s.nick),
    )
    .execute();
  return Object.fromEntries(rows.map((r) => [r.display_name, r.id])) as Record<string, string>;
}

/** Runs the worker, moving the clock on by `stepMs` each round, until no message of the source is queued. */
export async function sendAll(env: TestEnv, worker: Worker, sourceId: string, stepMs = 60_000, maxRounds = 400) {
  for (let i = 0; i < maxRounds; i++) {
    await worker.drain();
    const left = await env.db.kysely
      .selectFrom('messages')
      .select('id')
      .where('workspace_id', '=', env.workspaceId)
      .where('source_id', '=', sourceId)
      .where('status', '=', 'queued')
      .limit(1)
      .execute();
    if (left.length === 0) return i;
    env.setNow(new Date(env.ctx.now().getTime() + stepMs).toISOString());
  }
  throw new Error('messages still queued');
}

/** A batch of care messages from a test source for recordBatch: one variant (`text`), no budget, sent for real. */
export function careBatch(
  sourceId: string,
  channelId: string,
  customerIds: string[],
  opts: { text?: string; linkUrl?: string | null } = {},
) {
  return {
    sourceType: 'test',
    sourceId,
    step: 'main',
    kind: 'care' as const,
    channelId,
    customerIds,
    variants: [{ key: null, content: { text: opts.text ?? '#客户昵称#，您的订单已发货' } }],
    variantOf: () => 0,
    linkUrl: opts.linkUrl ?? null,
    budgetFen: null,
    state: { seen: new Set<string>(), spentFen: 0 },
    dry: false,
  };
}
