import { reason } from '../core/reasons.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Unauthorized } from '../core/errors.js';
import type { AppContext } from './context.js';
import type { Principal } from './auth/service.js';
import type { UploadLimits } from './uploads.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ModuleOptions {
  ctx: AppContext;
  /** Where uploaded files are kept until their import has run. */
  uploadDir: string;
  /** Upload size limit and the disk space that must stay free. */
  uploads: UploadLimits;
}

/** Every module's routes get the app context. */
export type ModuleRoutes = FastifyPluginAsyncZod<ModuleOptions>;

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new Unauthorized('log in or send an API token (Authorization: Bearer …)', reason('auth.loginRequired'));
  return req.principal;
}

/**
 * A reason as a code: a key of core/reasons.ts and its parameters, rendered by the console in the reader's
 * language.
 */
export const reasonView = z.object({
  key: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    /** What the console shows, in the reader's language: a key of core/reasons.ts and its parameters. */
    reason: reasonView.optional(),
  }),
});

export const idParams = z.object({ id: z.string().min(1) });

export function sendCsv(reply: FastifyReply, fileName: string, body: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"`)
    .send(body);
}

/** The answer of a route that returns nothing (204). */
export const noContent = z.null().describe('No content');
