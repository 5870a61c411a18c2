import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { strictSerializerCompiler } from './modules/strict-responses.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z, ZodError } from 'zod';
import { DomainError, type ErrorCode } from './core/errors.js';
import type { AppContext } from './modules/context.js';
import { databaseHealth } from './modules/workspaces/service.js';
import { authenticate, SESSION_COOKIE } from './modules/auth/service.js';
import { authRoutes } from './modules/auth/routes.js';
import { customerRoutes } from './modules/customers/routes.js';
import { importRoutes } from './modules/imports/routes.js';
import { orderRoutes } from './modules/orders/routes.js';
import { storeRoutes } from './modules/stores/routes.js';
import { jobRoutes } from './jobs/routes.js';
import { segmentRoutes } from './modules/segments/routes.js';
import { tagRoutes } from './modules/tags/routes.js';
import { pointsRoutes } from './modules/points/routes.js';
import { membershipRoutes } from './modules/membership/routes.js';
import { couponRoutes } from './modules/coupons/routes.js';
import { analyticsRoutes } from './modules/analytics/routes.js';
import { feedbackRoutes } from './modules/feedback/routes.js';
import { messagingPublicRoutes, messagingRoutes } from './modules/messaging/routes.js';
import { campaignRoutes } from './modules/campaigns/routes.js';
import { predictRoutes } from './modules/predict/routes.js';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_slow: 503,
};
const PUBLIC = new Set(['/api/v1/health', '/api/v1/auth/login']);

export interface ServerOptions {
  logger?: boolean | object;
  dataDir?: string;
  /** Max upload size in bytes (default 2 GiB). */
  uploadLimit?: number;
  /** The built console (default dist/web of this installation, or HUIKE_WEB_DIR). */
  webDir?: string;
  /**
   * Fail an answer that carries a field its response schema does not declare (which would be
   * silently dropped). On under the tests (VITEST set), so a schema that forgets a field is caught.
   */
  strictResponses?: boolean;
}

/** dist/web next to the compiled server (dist/src/server.js) or the sources (src/server.ts). */
export function defaultWebDir(): string {
  if (process.env.HUIKE_WEB_DIR) return process.env.HUIKE_WEB_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, here.endsWith(join('dist', 'src')) ? '../..' : '..');
  return join(root, 'dist', 'web');
}

function zodDetails(e: ZodError) {
  return e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

export async function buildServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, trustProxy: true }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(
    (opts.strictResponses ?? process.env.VITEST !== undefined) ? strictSerializerCompiler : serializerCompiler,
  );

  app.setErrorHandler((err: FastifyError | DomainError | ZodError, req, reply) => {
    if (err instanceof DomainError) {
      return reply
        .code(STATUS[err.code])
        .send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        path: `${err.validationContext ?? ''}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message,
      }));
      const message = details.map((d) => `${d.path}: ${d.message}`).join('; ');
      return reply.code(400).send({ error: { code: 'invalid', message: `invalid request — ${message}`, details } });
    }
    if (err instanceof ZodError) {
      const details = zodDetails(err);
      return reply.code(400).send({
        error: {
          code: 'invalid',
          message: details.map((d) => `${d.path || 'input'}: ${d.message}`).join('; '),
          details,
        },
      });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: { code: (err as FastifyError).code ?? 'invalid', message: err.message } });
    }
    req.log.error(err);
    return reply
      .code(500)
      .send({ error: { code: 'internal', message: 'internal error: the server log has the details' } });
  });
  const webDir = opts.webDir ?? defaultWebDir();
  const hasConsole = existsSync(join(webDir, 'index.html'));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // The console routes in the browser: any other page address gets its index.html.
    if (
      hasConsole &&
      req.method === 'GET' &&
      !path.startsWith('/api/') &&
      !path.startsWith('/docs') &&
      !path.startsWith('/assets/')
    ) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${path}` } });
  });

  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: opts.uploadLimit ?? 2 * 1024 ** 3, files: 1 } });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Huike (回客) API',
        version: '1',
        description:
          'Customer & member-marketing CRM for online shops. Amounts are integer fen; times are UTC ISO 8601.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (!path.startsWith('/api/') || PUBLIC.has(path)) return;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    req.principal = await authenticate(ctx, bearer ?? req.cookies[SESSION_COOKIE]);
    if (!req.principal)
      throw new DomainError(
        'unauthorized',
        'log in (POST /api/v1/auth/login) or send an API token: Authorization: Bearer <token>',
      );
  });

  const healthSchema = {
    tags: ['health'],
    summary: 'Liveness and database check',
    response: { 200: z.object({ status: z.literal('ok'), database: z.enum(['sqlite', 'postgres']) }) },
  };
  app.get('/api/v1/health', { schema: healthSchema }, async () => ({
    status: 'ok' as const,
    database: await databaseHealth(ctx),
  }));

  const moduleOpts = { ctx, uploadDir: join(opts.dataDir ?? 'data', 'uploads'), prefix: '/api/v1' };
  await app.register(authRoutes, moduleOpts);
  await app.register(storeRoutes, moduleOpts);
  await app.register(customerRoutes, moduleOpts);
  await app.register(orderRoutes, moduleOpts);
  await app.register(importRoutes, moduleOpts);
  await app.register(jobRoutes, moduleOpts);
  await app.register(segmentRoutes, moduleOpts);
  await app.register(tagRoutes, moduleOpts);
  await app.register(pointsRoutes, moduleOpts);
  await app.register(membershipRoutes, moduleOpts);
  await app.register(couponRoutes, moduleOpts);
  await app.register(analyticsRoutes, moduleOpts);
  await app.register(feedbackRoutes, moduleOpts);
  await app.register(messagingRoutes, moduleOpts);
  await app.register(campaignRoutes, moduleOpts);
  await app.register(messagingPublicRoutes(ctx));
  await app.register(predictRoutes, moduleOpts);

  if (hasConsole) {
    // Hashed file names under assets/ never change content: cache them for a year.
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      index: ['index.html'],
      setHeaders: (res, file) =>
        res.setHeader(
          'cache-control',
          file.includes(`${join('/', 'assets', '/')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><title>Huike</title><p>The web console is not built ' +
            'yet: run <code>npm run build</code>. The API documentation is at <a href="/docs">/docs</a>.</p>',
        ),
    );
  }
  return app;
}
