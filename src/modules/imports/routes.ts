import { reason, requestLanguage } from '../../core/reasons.js';
import { z } from 'zod';
import { rm } from 'node:fs/promises';
import type {} from '@fastify/multipart';
import { Invalid } from '../../core/errors.js';
import { idParams, principalOf, sendCsv, type ModuleRoutes } from '../http.js';
import { saveUpload, uploadParts } from '../uploads.js';
import { runErrorsOutput, runOutput, runsOutput } from './schema.js';
import {
  detectInterrupted,
  getRun,
  importErrors,
  listRuns,
  presentRun,
  queueImport,
  resumeRun,
  runErrorsCsv,
} from './service.js';

const tags = ['imports'];

const uploadSchema = {
  tags,
  summary:
    'Upload an export (multipart: file, store, format, optional mapping JSON, timezone and currency of a new store); ' +
    'returns the run to poll',
  consumes: ['multipart/form-data'],
  response: { 202: runOutput },
};

const listSchema = { tags, summary: 'Recent imports', response: { 200: runsOutput } };

const getSchema = { tags, summary: 'An import and its progress', params: idParams, response: { 200: runOutput } };

const resumeSchema = {
  tags,
  summary:
    'Resume an interrupted import (its process was killed): it goes on from the last saved row, ' +
    'counters stay the run totals',
  params: idParams,
  response: { 202: runOutput },
};

const errorsSchema = {
  tags,
  summary: 'Rejected rows with line, column and reason',
  params: idParams,
  response: { 200: runErrorsOutput },
};

const errorsCsvSchema = {
  tags,
  summary:
    'Rejected rows as CSV (UTF-8 with BOM), in the language of `lang` or else of Accept-Language (zh-CN default)',
  params: idParams,
  querystring: z.object({ lang: z.enum(['zh-CN', 'en']).optional() }),
};

export const importRoutes: ModuleRoutes = async (app, { ctx, uploadDir: dir, uploads }) => {
  app.post('/imports', { config: { permission: 'import' }, schema: uploadSchema }, async (req, reply) => {
    const p = principalOf(req);
    if (!req.isMultipart())
      throw new Invalid(
        'send the file as multipart/form-data with fields file, store and format',
        reason('upload.importFields'),
      );
    const fields: Record<string, string> = {};
    let saved: { path: string; name: string } | null = null;
    try {
      for await (const part of uploadParts(req)) {
        if (part.type === 'file') {
          if (saved) throw new Invalid('send one file per import', reason('upload.oneFile'));
          saved = { path: await saveUpload(req, part, dir, uploads), name: part.filename };
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
      if (!saved) throw new Invalid('no file: add the export as the "file" field', reason('upload.noFile'));
      const upload = { workspaceId: p.workspaceId, userId: p.userId, filePath: saved.path, fileName: saved.name };
      const run = await queueImport(ctx, { ...upload, fields });
      reply.code(202);
      return presentRun(run, ctx.now());
    } catch (e) {
      if (saved) await rm(saved.path, { force: true });
      throw e;
    }
  });

  app.get('/imports', { config: { permission: 'import' }, schema: listSchema }, async (req) => {
    const ws = principalOf(req).workspaceId;
    await detectInterrupted(ctx, ws);
    return { items: (await listRuns(ctx, ws)).map((r) => presentRun(r, ctx.now())) };
  });

  app.get('/imports/:id', { config: { permission: 'import' }, schema: getSchema }, async (req) => {
    const ws = principalOf(req).workspaceId;
    await detectInterrupted(ctx, ws);
    return presentRun(await getRun(ctx, ws, req.params.id), ctx.now());
  });

  app.post('/imports/:id/resume', { config: { permission: 'import' }, schema: resumeSchema }, async (req, reply) => {
    reply.code(202);
    return presentRun(await resumeRun(ctx, principalOf(req).workspaceId, req.params.id), ctx.now());
  });

  app.get('/imports/:id/errors', { config: { permission: 'import' }, schema: errorsSchema }, async (req) => ({
    items: await importErrors(ctx, principalOf(req).workspaceId, req.params.id),
  }));

  app.get(
    '/imports/:id/errors.csv',
    { config: { permission: 'import' }, schema: errorsCsvSchema },
    async (req, reply) => {
      const p = principalOf(req);
      const id = req.params.id;
      const lang = requestLanguage(req.query.lang, req.headers['accept-language']);
      return sendCsv(reply, `import-${id}-errors.csv`, await runErrorsCsv(ctx, p.workspaceId, id, lang));
    },
  );
};
