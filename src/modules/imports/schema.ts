import { reasonView } from '../http.js';
import { z } from 'zod';

export const runOutput = z.object({
  id: z.string(),
  storeId: z.string(),
  format: z.string(),
  fileName: z.string(),
  status: z.string(),
  rowsRead: z.number(),
  ordersCreated: z.number(),
  ordersUpdated: z.number(),
  ordersUnchanged: z.number(),
  itemsWritten: z.number(),
  customersCreated: z.number(),
  rowsRejected: z.number().describe('file rows rejected (an order of three lines is three rows)'),
  ordersRejected: z.number().describe('orders rejected'),
  rowsCommitted: z.number().describe('rows whose results are saved: where a resume starts'),
  bytesRead: z.number(),
  bytesTotal: z.number().nullable(),
  progress: z.number().describe('the share of the file read (0–1)'),
  statsRefresh: z
    .object({ done: z.number(), total: z.number() })
    .nullable()
    .describe("after the last row: the buyers' stats refreshed (done of total); null before that step"),
  /** In English. */
  message: z.string().nullable(),
  /** The message as a key of core/reasons.ts and its parameters (what the console shows); null when none. */
  why: reasonView.nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const runsOutput = z.object({ items: z.array(runOutput) });

export const runErrorsOutput = z.object({
  items: z.array(
    z.object({
      line: z.number(),
      column: z.string().nullable(),
      /** In English. */
      reason: z.string(),
      /** The reason as a key of core/reasons.ts and its parameters (null on rows imported before reasons had codes). */
      why: reasonView.nullable(),
      value: z.string().nullable(),
    }),
  ),
});
