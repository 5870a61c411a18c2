import { reason } from '../../core/reasons.js';
import { shownText, timeThisCentury } from '../../core/validation.js';
import { z } from 'zod';
import { TASK_PRIORITIES, TASK_SOURCES, TASK_STATUSES, TASK_TYPES } from '../../core/tasks.js';

// Years 0001 and 9999 were taken as a task's due time.
const iso = timeThisCentury();

/** A task as created by an automation step, the API or an agent. */
export const newTaskInput = z
  .object({
    type: z
      .enum(TASK_TYPES)
      .describe('payment_followup, logistics (shipping problem), bad_review, revisit, after_sale, manual'),
    customerId: z.string().min(1, 'name the customer (customerId)'),
    orderId: z.string().min(1).max(100).nullish(),
    dueAt: iso.describe('when it must be handled (ISO time with offset)'),
    priority: z.enum(TASK_PRIORITIES).default('normal'),
    assigneeId: z.string().min(1).nullish().describe('the user who handles it (none: anyone)'),
    title: shownText(200),
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
  automation: z
    .object({ id: z.string(), name: z.string(), runId: z.string() })
    .nullable()
    .describe('the automation and run that created it (source automation); null otherwise'),
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

export const taskListQuery = z
  .object({
    view: z.enum(['mine', 'all']).default('all').describe('mine: the tasks assigned to the caller'),
    status: z
      .enum(['active', 'all', ...TASK_STATUSES])
      .default('active')
      .describe('active: open and in progress (the default)'),
    type: z.enum(TASK_TYPES).optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    assigneeId: z.string().min(1).optional().describe('a user id, or "none" for unassigned tasks'),
    customerId: z.string().min(1).optional(),
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();
export type TaskListQuery = z.infer<typeof taskListQuery>;

export const taskList = z.object({ items: z.array(taskView), total: z.number() });

export const taskPatch = z
  .object({
    status: z.enum(['open', 'in_progress', 'cancelled']).optional().describe('done only through /complete'),
    assigneeId: z.string().min(1).nullable().optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    dueAt: iso.optional(),
    title: shownText(200).optional(),
    notes: z.string().trim().max(4000).nullable().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, {
    message: 'change at least one field',
    params: reason('input.nothingToChange'),
  });
export type TaskPatch = z.infer<typeof taskPatch>;

export const completeInput = z
  .object({
    outcome: z.string().trim().min(1, 'say how it ended (outcome)').max(2000),
    tag: z.string().trim().min(1).max(40).nullish().describe('a tag to put on the customer'),
    notes: z.string().trim().max(4000).nullish(),
  })
  .strict();
export type CompleteInput = z.infer<typeof completeInput>;

/** A task created through the API or the console (the source is set by the server). */
export const manualTaskInput = newTaskInput.omit({ source: true, sourceRef: true });
