import { reason } from '../../core/reasons.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { parseInput } from '../../core/validation.js';
import { normalizeCnMobile } from '../../core/pii.js';
import type { ConsentState } from '../../core/consent.js';
import { nowIso, type AppContext } from '../context.js';
import { consentStates, recordConsent } from './consent.js';
import { refreshNamePinyin } from './pinyin.js';
import { refreshBuyerPeople } from '../analytics/snapshots.js';
import { customerPatch, type CustomerPatch } from './schema.js';

const COLUMNS: Record<keyof CustomerPatch, string> = {
  realName: 'real_name',
  phone: 'phone',
  email: 'email',
  gender: 'gender',
  birthday: 'birthday',
  wechat: 'wechat',
  qq: 'qq',
  source: 'source',
  marketingConsent: 'marketing_consent',
  isPicky: 'is_picky',
  isBadReviewer: 'is_bad_reviewer',
  isBlacklisted: 'is_blacklisted',
  optOutSms: 'opt_out_sms',
  optOutEmail: 'opt_out_email',
  optOutWechat: 'opt_out_wechat',
};

/**
 * Staff edits of a customer's profile, flags, opt-outs and marketing consent. A consent or opt-out
 * that changes is recorded in the consent history in the same transaction, with where it came from
 * (the console, the API or an attributes file).
 */
export async function updateCustomer(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  input: unknown,
  by: string | null,
  source: 'console' | 'api' | 'attributes' = 'console',
): Promise<void> {
  const patch = parseInput(customerPatch, input, 'The customer change');
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch) as [keyof CustomerPatch, unknown][]) {
    if (v === undefined) continue;
    set[COLUMNS[k]] = typeof v === 'boolean' ? (v ? 1 : 0) : v === '' ? null : v;
  }
  // A value as a role without pii:read sees it (谢*, a***@example.com) sent back would replace the real one.
  for (const field of ['realName', 'email', 'wechat'] as const) {
    const v = patch[field];
    if (typeof v === 'string' && v.includes('*'))
      throw new Invalid(
        `${field} "${v}" looks masked (it holds *): type the whole value, or leave the field out to keep it`,
        reason('customer.maskedValue', { field, value: v }),
        { field },
      );
  }
  if (patch.phone) {
    const phone = normalizeCnMobile(patch.phone);
    if (!phone)
      throw new Invalid(
        `phone "${patch.phone}" is not a mainland mobile number (11 digits starting with 1)`,
        reason('customer.phone', { phone: String(patch.phone) }),
        {
          field: 'phone',
        },
      );
    set.phone = phone;
  }
  if (patch.email) set.email = patch.email.toLowerCase();
  if (patch.marketingConsent)
    Object.assign(set, { consent_source: by ? `staff:${by}` : 'staff', consent_at: nowIso(ctx) });
  if (Object.keys(set).length === 0) throw new Invalid('nothing to change', reason('input.nothingToChange'));
  const now = nowIso(ctx);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const before = (await consentStates(trx, workspaceId, [id])).get(id);
    if (!before) throw new NotFound(`customer ${id} not found`, reason('customer.notFound', { id }));
    await trx
      .updateTable('customers')
      .set({ ...set, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
    if ('real_name' in set) await refreshNamePinyin(trx, ctx.db.dialect, workspaceId, [id]);
    // The kept analytics answers count buyers by gender and age: move this one now (analytics/snapshots.ts).
    if ('gender' in set || 'birthday' in set) await refreshBuyerPeople(trx, workspaceId, [id]);
    await recordConsent(
      trx,
      ctx.db.dialect,
      workspaceId,
      [{ customerId: id, before, after: set as Partial<ConsentState> }],
      { source, actorId: by },
      now,
    );
  });
}
