import { z } from 'zod';
import { isRealDateTime } from '../../core/input.js';

const moment = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .refine(isRealDateTime, 'not a real date and time')
    .optional()
    .describe(`${what} (ISO 8601 with offset)`);

export const auditQuery = z.object({
  actor: z.string().trim().min(1).max(100).optional().describe('login of the user who acted'),
  action: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('an action (auth.login_failed), or a family ending in a dot (settings.)'),
  from: moment('at or after'),
  to: moment('before'),
  q: z.string().trim().min(1).max(100).optional().describe('text in the action, target, login, address or details'),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.output<typeof auditQuery>;

export const auditEntryOutput = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  actor: z.string().nullable().describe('login of the user (null: the system or an unknown login)'),
  via: z.string().describe('session, token or system'),
  action: z.string(),
  target: z.string().nullable(),
  targetName: z.string().nullable().describe("the target's name now (a customer's nick, a campaign's name …)"),
  details: z.record(z.string(), z.unknown()).nullable(),
  ip: z.string().nullable(),
});

export const auditListOutput = z.object({ items: z.array(auditEntryOutput), nextCursor: z.string().nullable() });

export const revealCustomerInput = z
  .object({
    fields: z
      .array(z.enum(['name', 'realName', 'phone', 'email', 'wechat', 'qq']))
      .min(1)
      .max(6)
      .optional()
      .describe('what to show (default: everything); an agent calling back asks for ["phone"]'),
    reason: z.string().trim().max(200).optional().describe('why (kept in the audit log)'),
  })
  .strict()
  .nullish();

export const revealCustomerOutput = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  realName: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  wechat: z.string().nullable().optional(),
  qq: z.string().nullable().optional(),
});

export const revealOrderInput = z
  .object({ reason: z.string().trim().max(200).optional().describe('why (kept in the audit log)') })
  .strict()
  .nullish();

export const revealOrderOutput = z.object({
  id: z.string(),
  customerId: z.string().nullable(),
  receiverName: z.string().nullable(),
  receiverPhone: z.string().nullable(),
  address: z.string().nullable(),
  buyerMessage: z.string().nullable(),
  sellerNote: z.string().nullable(),
  raw: z.record(z.string(), z.unknown()).describe('the raw export columns that hold personal data, in full'),
});
