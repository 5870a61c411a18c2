import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type {} from '@fastify/multipart';
import { z } from 'zod';
import { Invalid, NotFound } from '../../core/errors.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../core/formats/index.js';
import { specFor } from '../../core/formats/index.js';
import { newId } from '../../core/ids.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso } from '../context.js';
import { idParams, principalOf, sendCsv, type ModuleRoutes } from '../http.js';
import { ensureStore, getStore } from '../stores/service.js';
import { PLATFORMS } from '../stores/schema.js';
import {
  detectInterrupted,
  getRun,
  listRuns,
  newRun,
  presentRun,
  resumeRun,
  runErrors,
  runErrorsCsv,
} from './service.js';

const runOutput = z.object({
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
  progress: z.number(),
  message: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** Guesses the platform of a store created by its first import. */
export function platformForFormat(format: ImportFormat): (typeof PLATFORMS)[number] {
  return format === 'taobao' || format === 'taobao-items' ? 'taobao' : format === 'generic' ? 'other' : format;
}

export const importRoutes: ModuleRoutes = async (app, { ctx, uploadDir: dir }) => {
  const tags = ['imports'];

  app.post(
    '/imports',
    {
      schema: {
        tags,
        summary:
          'Upload an export (multipart: file, store, format, optional mapping JSON, timezone and currency of a new store); returns the run to poll',
        consumes: ['multipart/form-data'],
        response: { 202: runOutput },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart())
        throw new Invalid('send the file as multipart/form-data with fields file, store and format');
      mkdirSync(dir, { recursive: true });
      const fields: Record<string, string> = {};
      let saved: { path: string; name: string } | null = null;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            if (saved) throw new Invalid('send one file per import');
            const path = join(dir, `${newId()}-${part.filename.replace(/[^\w.\-\u4e00-\u9fff]/g, '_').slice(-80)}`);
            await pipeline(part.file, createWriteStream(path));
            if (part.file.truncated) throw new Invalid('the file is larger than the upload limit');
            saved = { path, name: part.filename };
          } else {
            fields[part.fieldname] = String(part.value);
          }
        }
        if (!saved) throw new Invalid('no file: add the export as the "file" field');
        const format = fields.format as ImportFormat;
        if (!IMPORT_FORMATS.includes(format))
          throw new Invalid(`format must be one of ${IMPORT_FORMATS.join(', ')}`, { field: 'format' });
        let mapping: unknown;
        if (fields.mapping) {
          try {
            mapping = JSON.parse(fields.mapping);
          } catch {
            throw new Invalid('mapping is not valid JSON', { field: 'mapping' });
          }
        }
        specFor(format, mapping);
        const storeRef = fields.storeId ?? fields.store;
        if (!storeRef)
          throw new Invalid('name the store: field "store" (a name, created if new) or "storeId"', { field: 'store' });
        const store = fields.storeId
          ? await getStore(ctx, p.workspaceId, fields.storeId)
          : await ensureStore(ctx, p.workspaceId, storeRef, platformForFormat(format), {
              ...(fields.timezone ? { timezone: fields.timezone } : {}),
              ...(fields.currency ? { currency: fields.currency } : {}),
            });
        const run = newRun(
          ctx,
          {
            workspaceId: p.workspaceId,
            store,
            format,
            filePath: saved.path,
            fileName: saved.name,
            mapping,
            createdBy: p.userId,
          },
          'queued',
        );
        // The run and the job that executes it are committed together.
        await ctx.db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto('import_runs').values(run).execute();
          await enqueue(
            trx,
            {
              workspaceId: p.workspaceId,
              kind: JOB.import,
              payload: { runId: run.id },
              maxAttempts: 3,
              dedupeKey: run.id,
            },
            nowIso(ctx),
          );
        });
        reply.code(202);
        return presentRun(await getRun(ctx, p.workspaceId, run.id), ctx.now());
      } catch (e) {
        if (saved) await rm(saved.path, { force: true });
        throw e;
      }
    },
  );

  app.get(
    '/imports',
    { schema: { tags, summary: 'Recent imports', response: { 200: z.object({ items: z.array(runOutput) }) } } },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      await detectInterrupted(ctx, ws);
      return { items: (await listRuns(ctx, ws)).map((r) => presentRun(r, ctx.now())) };
    },
  );
  app.get(
    '/imports/:id',
    { schema: { tags, summary: 'An import and its progress', params: idParams, response: { 200: runOutput } } },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      await detectInterrupted(ctx, ws);
      return presentRun(await getRun(ctx, ws, req.params.id), ctx.now());
    },
  );
  app.post(
    '/imports/:id/resume',
    {
      schema: {
        tags,
        summary:
          'Resume an interrupted import (its process was killed): it goes on from the last saved row, counters stay the run totals',
        params: idParams,
        response: { 202: runOutput },
      },
    },
    async (req, reply) => {
      reply.code(202);
      return presentRun(await resumeRun(ctx, principalOf(req).workspaceId, req.params.id), ctx.now());
    },
  );
  app.get(
    '/imports/:id/errors',
    {
      schema: {
        tags,
        summary: 'Rejected rows with line, column and reason',
        params: idParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                line: z.number(),
                column: z.string().nullable(),
                reason: z.string(),
                value: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      items: (await runErrors(ctx, principalOf(req).workspaceId, req.params.id)).map((e) => ({
        line: e.line,
        column: e.column_name,
        reason: e.reason,
        value: e.value,
      })),
    }),
  );
  app.get(
    '/imports/:id/errors.csv',
    { schema: { tags, summary: 'Rejected rows as CSV (UTF-8 with BOM)', params: idParams } },
    async (req, reply) => {
      const p = principalOf(req);
      const run = await getRun(ctx, p.workspaceId, req.params.id).catch(() => {
        throw new NotFound(`import ${req.params.id} not found`);
      });
      return sendCsv(reply, `import-${run.id}-errors.csv`, await runErrorsCsv(ctx, p.workspaceId, run.id));
    },
  );
};
