import { z } from 'zod';
import { TASK_PRIORITIES, TASK_SOURCES, TASK_STATUSES, TASK_TYPES } from '../../core/tasks.js';

const iso = z.iso.datetime({ offset: true });

/** A task as created by an automation step, the API or an agent. */
export const newTaskInput = z
  .object({
    type: z.enum(TASK_TYPES).describe('payment_followup 催付跟进, logistics 物流异常, bad_review 差评处理, …'),
    customerId: z.string().min(1, 'name the customer (customerId)'),
    orderId: z.string().min(1).nullish(),
    dueAt: iso.describe('when it must be handled (ISO time with offset)'),
    priority: z.enum(TASK_PRIORITIES).default('normal'),
    assigneeId: z.string().min(1).nullish().describe('the user who handles it (none: anyone)'),
    title: z.string().trim().min(1, 'give the task a title').max(200),
    notes: z.string().trim().max(4000).nullish(),
    source: z.enum(TASK_SOURCES).default('manual'),
    sourceRef: z.string().max(200).nullish().describe('what created it: an automation run, a review id …'),
    key: z
      .string()
      .min(1)
      .max(200)
      .nullish()
      .describe('idempotency key: creating again with the same key returns the first task'),
  })
  .strict();
export type NewTaskInput = z.input<typeof newTaskInput>;

export const taskView = z.object({
  id: z.string(),
  type: z.enum(TASK_TYPES),
  typeLabel: z.string(),
  title: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  orderId: z.string().nullable(),
  orderExternalId: z.string().nullable(),
  status: z.enum(TASK_STATUSES),
  priority: z.enum(TASK_PRIORITIES),
  dueAt: z.string(),
  overdue: z.boolean(),
  assigneeId: z.string().nullable(),
  assigneeName: z.string().nullable(),
  source: z.string(),
  sourceRef: z.string().nullable(),
  notes: z.string().nullable(),
  outcome: z.string().nullable(),
  outcomeTag: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
});
export type TaskView = z.infer<typeof taskView>;
