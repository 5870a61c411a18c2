import { reasonView } from '../http.js';
import { z } from 'zod';

export const automationView = z.object({
  id: z.string().nullable().describe('null: a built-in not switched on yet'),
  builtin: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  fields: z.array(z.string()).describe("the built-in's editable settings"),
  enabled: z.boolean(),
  version: z.number(),
  settings: z.record(z.string(), z.unknown()).nullable(),
  definition: z.record(z.string(), z.unknown()).describe('trigger, conditions, exitWhen, steps'),
  updatedAt: z.string().nullable(),
});

export const runView = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  orderId: z.string().nullable(),
  orderExternalId: z.string().nullable(),
  version: z.number(),
  status: z.string(),
  statusLabel: z.string(),
  reason: z.string().nullable(),
  why: reasonView.nullable().describe('the reason as a code the console renders in zh-CN or en'),
  triggerAt: z.string(),
  nextAt: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  steps: z.array(
    z.object({
      stepId: z.string(),
      status: z.string(),
      reason: z.string().nullable(),
      why: reasonView.nullable(),
      at: z.string(),
    }),
  ),
});

export const dryRunView = z.object({
  days: z.number(),
  triggered: z.number().describe('runs the trigger would have started'),
  tooLate: z.number(),
  customers: z.number().describe('customers who would have received a message'),
  messages: z.number(),
  costFen: z.number(),
  exited: z.array(
    z.object({
      reason: z.string().describe('in Chinese'),
      count: z.number(),
      why: reasonView.describe('the reason as a code the console renders in zh-CN or en'),
    }),
  ),
  skipped: z.array(
    z.object({
      reason: z.string().describe('in Chinese'),
      count: z.number(),
      code: z.string().describe('the send rule that held the message (blacklisted, frequency_cap …)'),
    }),
  ),
  blocked: z
    .array(
      z.object({
        reason: z.string().describe('in Chinese'),
        count: z.number(),
        why: reasonView.describe('no channel of the medium, a marketing SMS without the signature or reply-R wording'),
      }),
    )
    .describe("a message step that cannot send at all: its messages, not sent (the settings' fault, not a customer's)"),
  simulated: z.boolean().describe('false: segment and schedule triggers are not replayed'),
});

export const exportView = z.object({
  format: z.literal('huike.automations'),
  version: z.literal(1),
  automations: z.array(
    z.object({
      name: z.string(),
      enabled: z.boolean(),
      builtin: z.string().optional(),
      settings: z.record(z.string(), z.unknown()).optional(),
      definition: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

export const holidayView = z.object({
  items: z.array(z.object({ name: z.string(), year: z.number(), date: z.string() })),
});
