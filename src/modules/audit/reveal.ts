import { reason } from '../../core/reasons.js';
import type { z } from 'zod';
import { Forbidden } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { roleAllows } from '../auth/permissions.js';
import type { Principal } from '../auth/service.js';
import { REVEAL_FIELDS, revealCustomer } from '../customers/service.js';
import { revealOrder } from '../orders/service.js';
import type { revealCustomerInput, revealOrderInput } from './schema.js';
import { audit } from './service.js';

/**
 * Showing personal data in full is an explicit action (route permission `pii:reveal`): the values
 * are read and the audit entry written in one transaction, so nothing is shown that is not logged.
 */
export async function revealCustomerContact(
  ctx: AppContext,
  p: Principal,
  customerId: string,
  input: NonNullable<z.output<typeof revealCustomerInput>>,
  ip: string,
) {
  mayReveal(p);
  const fields = input.fields ?? [...REVEAL_FIELDS];
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const values = await revealCustomer({ ...ctx, db: { ...ctx.db, kysely: trx } }, p.workspaceId, customerId, fields);
    await audit(trx, {
      workspaceId: p.workspaceId,
      actor: p,
      action: 'pii.reveal_customer',
      target: `customer ${customerId}`,
      details: { fields, reason: input.reason ?? null },
      ip,
      at: ctx.now(),
    });
    return { id: customerId, ...values };
  });
}

export async function revealOrderContact(
  ctx: AppContext,
  p: Principal,
  orderId: string,
  input: NonNullable<z.output<typeof revealOrderInput>>,
  ip: string,
) {
  mayReveal(p);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const order = await revealOrder({ ...ctx, db: { ...ctx.db, kysely: trx } }, p.workspaceId, orderId);
    await audit(trx, {
      workspaceId: p.workspaceId,
      actor: p,
      action: 'pii.reveal_order',
      target: `order ${orderId}`,
      details: { customerId: order.customerId, columns: Object.keys(order.raw), reason: input.reason ?? null },
      ip,
      at: ctx.now(),
    });
    return order;
  });
}

/** The route declares `pii:reveal`; checked here as well, so no other caller shows data unlogged to the wrong role. */
function mayReveal(p: Principal): void {
  if (!roleAllows(p.role, 'pii:reveal'))
    throw new Forbidden(
      `your role (${p.role}) may not show personal data in full (it needs "pii:reveal")`,
      reason('auth.revealPii', { role: p.role }),
      {
        permission: 'pii:reveal',
      },
    );
}
