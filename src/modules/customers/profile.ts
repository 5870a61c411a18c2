import { Invalid, NotFound } from '../../core/errors.js';
import { parseInput } from '../../core/validation.js';
import { normalizeCnMobile } from '../../core/pii.js';
import { nowIso, type AppContext } from '../context.js';
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

/** Staff edits of a customer's profile, flags, opt-outs and marketing consent. */
export async function updateCustomer(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  input: unknown,
  by: string | null,
): Promise<void> {
  const patch = parseInput(customerPatch, input, 'The customer change');
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch) as [keyof CustomerPatch, unknown][]) {
    if (v === undefined) continue;
    set[COLUMNS[k]] = typeof v === 'boolean' ? (v ? 1 : 0) : v === '' ? null : v;
  }
  if (patch.phone) {
    const phone = normalizeCnMobile(patch.phone);
    if (!phone)
      throw new Invalid(`phone "${patch.phone}" is not a mainland mobile number (11 digits starting with 1)`, {
        field: 'phone',
      });
    set.phone = phone;
  }
  if (patch.email) set.email = patch.email.toLowerCase();
  if (patch.marketingConsent)
    Object.assign(set, { consent_source: by ? `staff:${by}` : 'staff', consent_at: nowIso(ctx) });
  if (Object.keys(set).length === 0) throw new Invalid('nothing to change');
  const r = await ctx.db.kysely
    .updateTable('customers')
    .set({ ...set, updated_at: nowIso(ctx) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new NotFound(`customer ${id} not found`);
}
