import { reason } from '../reasons.js';
import { z } from 'zod';
import { Invalid } from '../errors.js';
import { inputIssues } from '../validation.js';
import { ORDER_STATUSES } from '../order-status.js';
import type { FormatSpec } from './engine.js';
import { ALL_FIELDS, type Field } from './fields.js';

/**
 * A mapping file for any CSV/XLSX: which column holds which field, and what its status words
 * mean. Example:
 * { "columns": { "externalId": "Order No", "createdAt": "Date", "paid": "Amount",
 *                "buyerNick": "Customer", "status": "State" },
 *   "statuses": { "Done": "completed", "Cancelled": "closed" },
 *   "rowsPerOrder": "one" }
 */
export const mappingSchema = z
  .object({
    columns: z.partialRecord(z.enum(ALL_FIELDS), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])),
    statuses: z.record(z.string(), z.enum(ORDER_STATUSES)).default({}),
    /** Same as "statuses" (the console sends this name); both may be given, statusMap wins on a clash. */
    statusMap: z.record(z.string(), z.enum(ORDER_STATUSES)).optional(),
    defaultStatus: z.enum(ORDER_STATUSES).optional(),
    rowsPerOrder: z.enum(['one', 'group']).default('one'),
    /**
     * Credit notes / cancellations written as documents of their own: rows whose order id starts
     * with idPrefix, or (negativeQuantity) whose quantity is negative. Map the column naming the
     * cancelled order to "creditOf" when the file has one.
     */
    creditNotes: z
      .object({ idPrefix: z.string().min(1).optional(), negativeQuantity: z.boolean().optional() })
      .strict()
      .refine((c) => c.idPrefix !== undefined || c.negativeQuantity === true, {
        message: 'say which rows are credit notes: "idPrefix" and/or "negativeQuantity": true',
      })
      .optional(),
  })
  .strict();

export type Mapping = z.input<typeof mappingSchema>;

export function genericSpec(input: unknown): FormatSpec {
  const parsed = mappingSchema.safeParse(input);
  if (!parsed.success) {
    const coded = inputIssues(parsed.error.issues, input);
    const issues = coded.map((i) => `${i.path || '(mapping)'}: ${i.message}`);
    const first = coded[0];
    throw new Invalid(
      `The column mapping is not valid: ${issues.join('; ')}`,
      reason('import.mappingInvalid', { field: first?.path || '—', message: first?.message ?? '' }),
      { issues, coded },
    );
  }
  const m = parsed.data;
  for (const f of ['externalId', 'createdAt'] as const) {
    if (!m.columns[f])
      throw new Invalid(
        `The column mapping must name the column of "${f}"`,
        reason('import.mappingColumn', { field: f, label: f === 'externalId' ? '订单号' : '下单时间' }),
      );
  }
  if (!m.columns.status && !m.defaultStatus) {
    throw new Invalid(
      'The column mapping must name the "status" column or give a "defaultStatus"',
      reason('import.mappingStatus'),
    );
  }
  const aliases: Partial<Record<Field, readonly string[]>> = {};
  for (const [field, col] of Object.entries(m.columns) as [Field, string | string[]][]) {
    aliases[field] = (Array.isArray(col) ? col : [col]).map((c) => c.trim());
  }
  return {
    format: 'generic',
    label: 'file described by the column mapping',
    rows: m.rowsPerOrder,
    orderFieldsAgree: true,
    output: 'orders',
    required: ['externalId', 'createdAt', ...(m.columns.status ? (['status'] as const) : [])],
    aliases,
    statusMap: { ...m.statuses, ...m.statusMap },
    unmappedStatusHint: 'map it to a Huike status in the mapping\'s "statusMap"',
    defaultStatus: m.defaultStatus,
    creditNotes: m.creditNotes,
  };
}
