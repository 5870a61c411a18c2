import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
import { boundedError, DomainError, type ErrorCode } from './core/errors.js';
import { type Reason, reason } from './core/reasons.js';
import { isSqliteBusy } from './db/connect.js';
import { type InputIssue, inputIssues, isMissing, issueReason } from './core/validation.js';
import type { AppContext } from './modules/context.js';
import { databaseHealth } from './modules/workspaces/service.js';
import { SESSION_COOKIE } from './modules/auth/service.js';
import { registerAccessControl } from './modules/auth/access.js';
import { registerRecordScope } from './modules/record-scope.js';
import { authRoutes } from './modules/auth/routes.js';
import { accountRoutes } from './modules/auth/account-routes.js';
import { registerWebSecurity } from './modules/auth/web-security.js';
import { customerRoutes } from './modules/customers/routes.js';
import { importRoutes } from './modules/imports/routes.js';
import { orderPublicRoutes, orderRoutes } from './modules/orders/routes.js';
import { automationRoutes } from './modules/automations/routes.js';
import { storeRoutes } from './modules/stores/routes.js';
import { jobRoutes } from './jobs/routes.js';
import { segmentRoutes } from './modules/segments/routes.js';
import { audienceRoutes } from './modules/audiences/routes.js';
import { tagRoutes } from './modules/tags/routes.js';
import { pointsRoutes } from './modules/points/routes.js';
import { membershipRoutes } from './modules/membership/routes.js';
import { couponRoutes } from './modules/coupons/routes.js';
import { analyticsRoutes } from './modules/analytics/routes.js';
import { feedbackRoutes, surveyPublicRoutes } from './modules/feedback/routes.js';
import { messagingPublicRoutes, messagingRoutes } from './modules/messaging/routes.js';
import { campaignRoutes } from './modules/campaigns/routes.js';
import { predictRoutes } from './modules/predict/routes.js';
import { taskRoutes } from './modules/tasks/routes.js';
import { privacyRoutes } from './modules/privacy/routes.js';
import { auditRoutes } from './modules/audit/routes.js';
import { registerAuditHook } from './modules/audit/hook.js';
import { ClientGone, registerAbandonHook } from './modules/heavy/abandon.js';
import { workspaceRoutes } from './modules/workspaces/routes.js';
import { uploadLimitsFromEnv } from './modules/uploads.js';
import { registerIdempotency } from './modules/idempotency.js';
import { registerInputGuard } from './modules/input-guard.js';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_slow: 503,
  too_large: 413,
  unprocessable: 422,
};

/** The error code a client sees for a 4xx that fastify or a plugin raised (theirs stays in details). */
function codeForStatus(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 422) return 'unprocessable';
  if (status === 429) return 'rate_limited';
  return 'invalid';
}

/** fastify's and its plugins' own client errors, in our error shape. */
/** What the console shows for an error fastify itself answers (a bad address, body or content type). */
function frameworkReason(err: FastifyError, status: number, message: string): Reason {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return reason('input.idTooLong');
    case 'FST_ERR_BAD_URL':
      return reason('input.badUrl');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reason('input.bodyTooLarge');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reason('input.notJson');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reason('input.mediaType');
    // @fastify/multipart's limits (a second file, thousands of fields): said as such, not "the request is not valid".
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return reason('upload.tooManyParts');
  }
  if (status === 429) return reason('input.tooManyRequests');
  return reason('input.badRequest', { message });
}

function frameworkError(err: FastifyError, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a value in the address is too long: ids are at most 100 characters'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the address is not valid (bad percent-encoding?)'
        : err.message;
  return reply.code(status).send({
    error: {
      code: codeForStatus(status),
      message,
      details: { reason: err.code ?? null },
      reason: 'reason' in err && err.reason ? err.reason : frameworkReason(err, status, message),
    },
  });
}
export interface ServerOptions {
  logger?: boolean | object;
  dataDir?: string;
  /** Max upload size in bytes (default HUIKE_UPLOAD_LIMIT_MB, 2 GiB). */
  uploadLimit?: number;
  /** Free disk space an upload must leave, in bytes (default HUIKE_UPLOAD_MIN_FREE_MB, 256 MB). */
  uploadMinFree?: number;
  /** The built console (default dist/web of this installation, or HUIKE_WEB_DIR). */
  webDir?: string;
  /**
   * Fail an answer that carries a field its response schema does not declare (which would be
   * silently dropped). On under the tests (VITEST set), so a schema that forgets a field is caught.
   */
  strictResponses?: boolean;
  /** Proxies whose X-Forwarded-For is believed (fastify's trustProxy); default HUIKE_TRUST_PROXY, else none. */
  trustProxy?: boolean | string;
}

/** dist/web next to the compiled server (dist/src/server.js) or the sources (src/server.ts). */
export function defaultWebDir(): string {
  if (process.env.HUIKE_WEB_DIR) return process.env.HUIKE_WEB_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, here.endsWith(join('dist', 'src')) ? '../..' : '..');
  return join(root, 'dist', 'web');
}

/** HUIKE_TRUST_PROXY: unset = no proxy; `true` = any hop (only behind a proxy that overwrites the header);
 * otherwise a comma-separated list of addresses or CIDR ranges, e.g. `127.0.0.1,10.0.0.0/8`. */
export function trustedProxies(value: string | undefined): boolean | string {
  const v = value?.trim();
  if (!v || v === 'false' || v === '0') return false;
  return v === 'true' || v === '1' ? true : v;
}

/** The part of the request a schema validation error is about (body, querystring, params, headers). */
function validatedPart(req: FastifyRequest, context: string | undefined): unknown {
  if (context === 'body') return req.body ?? {};
  if (context === 'querystring') return req.query ?? {};
  if (context === 'params') return req.params ?? {};
  if (context === 'headers') return req.headers;
  return undefined;
}

function zodDetails(e: ZodError): InputIssue[] {
  return inputIssues(e.issues);
}

/** The error's reason: the first problem (the console lists them all from `details`). */
function firstIssueReason(details: readonly Reason[]): Reason {
  const first = details[0];
  return first ? { key: first.key, params: first.params } : reason('input.badRequest', { message: 'invalid input' });
}

/**
 * A request body names only what its route reads: a key the schema does not know (`{"tags": [...]}` sent to a route
 * that reads `add`) is refused naming it, not dropped while the request answers 200 having done nothing. Applied to
 * every body that is a plain object; a route that takes more than it reads says so with z.looseObject.
 */
function closedBody<T>(schema: T): T {
  if (!(schema instanceof z.ZodObject)) return schema;
  return (schema._zod.def.catchall === undefined ? schema.strict() : schema) as T;
}

/** Whether a field takes a list (`?tag=a&tag=b` is a list for it, not a repeat). */
function acceptsList(schema: unknown): boolean {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
  if (!def) return false;
  switch (def.type) {
    case 'array':
      return true;
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return acceptsList(def.innerType);
    case 'pipe':
      return acceptsList(def.in) || acceptsList(def.out);
    case 'union':
      return (def.options as unknown[]).some(acceptsList);
    default:
      return false;
  }
}

/**
 * A query parameter given twice (`?limit=1&limit=2`) that takes one value is refused naming it (input.repeated) —
 * it reached the schema as a list and read "expected number, received NaN".
 */
function singleValues<T>(schema: T): T {
  if (!(schema instanceof z.ZodObject)) return schema;
  const shape = schema.shape as Record<string, unknown>;
  return z
    .unknown()
    .superRefine((data, c) => {
      if (!data || typeof data !== 'object') return;
      for (const [k, v] of Object.entries(data))
        if (Array.isArray(v) && k in shape && !acceptsList(shape[k]))
          c.addIssue({
            code: 'custom',
            path: [k],
            message: `${k} is given more than once: give one value`,
            params: reason('input.repeated', { field: k }),
          });
    })
    .pipe(schema) as unknown as T;
}

export async function buildServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // X-Forwarded-For is believed only from the proxies named here: trusting it from anyone would let a client
    // pick its own address and step around the per-address login limit.
    trustProxy: opts.trustProxy ?? trustedProxies(process.env.HUIKE_TRUST_PROXY),
    // Bad addresses (too long an id, broken %-encoding) answer in the same error shape as the rest.
    frameworkErrors: (err, _req, reply) => frameworkError(err, reply),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler<z.ZodType>((route) =>
    validatorCompiler({
      ...route,
      schema:
        route.httpPart === 'body'
          ? closedBody(route.schema)
          : route.httpPart === 'querystring'
            ? singleValues(route.schema)
            : route.schema,
    }),
  );
  app.setSerializerCompiler(
    (opts.strictResponses ?? process.env.VITEST !== undefined) ? strictSerializerCompiler : serializerCompiler,
  );

  app.setErrorHandler((err: FastifyError | DomainError | ZodError, req, reply) => {
    // A heavy read stopped because its client went away (logged there): nobody is left to answer.
    if (err instanceof ClientGone) {
      reply.hijack();
      reply.raw.destroy();
      return;
    }
    if (err instanceof DomainError) {
      return reply.code(STATUS[err.code]).send({
        error: boundedError({
          code: err.code,
          message: err.message,
          details: err.details ?? null,
          ...(err.reason ? { reason: err.reason } : {}),
        }),
      });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => {
        const segments = v.instancePath.split('/').filter(Boolean);
        const input = validatedPart(req, err.validationContext);
        const missing = segments.length > 0 && input !== undefined && isMissing(input, segments);
        return {
          path: `${err.validationContext ?? ''}${v.instancePath.replace(/\//g, '.')}`,
          message: v.message ?? '',
          ...issueReason(v.keyword, v.params, segments.join('.'), v.message ?? '', missing),
        };
      });
      const message = details.map((d) => `${d.path}: ${d.message}`).join('; ');
      return reply.code(400).send({
        error: boundedError({
          code: 'invalid',
          message: `invalid request — ${message}`,
          details,
          reason: firstIssueReason(details),
        }),
      });
    }
    if (err instanceof ZodError) {
      const details = zodDetails(err);
      return reply.code(400).send({
        error: boundedError({
          code: 'invalid',
          message: details.map((d) => `${d.path || 'input'}: ${d.message}`).join('; '),
          details,
          reason: firstIssueReason(details),
        }),
      });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) return frameworkError(err as FastifyError, reply);
    if (isSqliteBusy(err)) {
      // A long job held SQLite's one write lock past the wait (connect.ts): nothing was written; try again.
      req.log.warn({ err }, 'database busy');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: {
            code: 'busy',
            message: 'the database is busy with a long job: nothing was saved, try again in a few seconds',
            details: null,
            reason: reason('server.busy'),
          },
        });
    }
    req.log.error(err);
    return reply.code(500).send({
      error: {
        code: 'internal',
        message: 'internal error: the server log has the details',
        details: null,
        reason: reason('server.internal'),
      },
    });
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
    return reply.code(404).send({
      error: {
        code: 'not_found',
        message: `no route ${req.method} ${path}`,
        details: null,
        reason: reason('input.noRoute', { method: req.method, path }),
      },
    });
  });

  await app.register(cookie);
  const envUploads = uploadLimitsFromEnv();
  const uploads = {
    maxBytes: opts.uploadLimit ?? envUploads.maxBytes,
    minFreeBytes: opts.uploadMinFree ?? envUploads.minFreeBytes,
  };
  await app.register(multipart, {
    limits: { fileSize: uploads.maxBytes, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 30 },
  });
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
  await registerWebSecurity(app);

  registerAccessControl(app, ctx);
  // The guard's hook before the record scope's: the scope looks the record named in the address or body up, and a
  // NUL in that id failed on PostgreSQL as a 500 (invalid byte sequence) before the guard could refuse it.
  registerInputGuard(app);
  registerRecordScope(app, ctx);
  registerIdempotency(app, ctx);
  registerAuditHook(app, ctx);
  registerAbandonHook(app);

  const healthSchema = {
    tags: ['health'],
    summary: 'Liveness and database check',
    response: { 200: z.object({ status: z.literal('ok'), database: z.enum(['sqlite', 'postgres']) }) },
  };
  app.get('/api/v1/health', { config: { permission: 'public' }, schema: healthSchema }, async () => ({
    status: 'ok' as const,
    database: await databaseHealth(ctx),
  }));

  const moduleOpts = { ctx, uploadDir: join(opts.dataDir ?? 'data', 'uploads'), uploads, prefix: '/api/v1' };
  await app.register(authRoutes, moduleOpts);
  await app.register(accountRoutes, moduleOpts);
  await app.register(storeRoutes, moduleOpts);
  await app.register(customerRoutes, moduleOpts);
  await app.register(orderRoutes, moduleOpts);
  await app.register(importRoutes, moduleOpts);
  await app.register(jobRoutes, moduleOpts);
  await app.register(segmentRoutes, moduleOpts);
  await app.register(audienceRoutes, moduleOpts);
  await app.register(tagRoutes, moduleOpts);
  await app.register(pointsRoutes, moduleOpts);
  await app.register(membershipRoutes, moduleOpts);
  await app.register(couponRoutes, moduleOpts);
  await app.register(analyticsRoutes, moduleOpts);
  await app.register(feedbackRoutes, moduleOpts);
  await app.register(messagingRoutes, moduleOpts);
  await app.register(campaignRoutes, moduleOpts);
  await app.register(messagingPublicRoutes(ctx));
  await app.register(orderPublicRoutes(ctx));
  await app.register(automationRoutes, moduleOpts);
  await app.register(surveyPublicRoutes(ctx));
  await app.register(predictRoutes, moduleOpts);
  await app.register(taskRoutes, moduleOpts);
  await app.register(privacyRoutes, moduleOpts);
  await app.register(auditRoutes, moduleOpts);
  await app.register(workspaceRoutes, moduleOpts);

  if (hasConsole) {
    // Hashed file names under assets/ never change content: cache them for a year.
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      index: ['index.html'],
      // The build writes each script and style also as .br and .gz (web/vite.config.ts): sent to a browser that
      // accepts them, with no compressing per request.
      preCompressed: true,
      // Our own cache-control below (the default would add max-age=0 over it: hashed assets were fetched again).
      cacheControl: false,
      setHeaders: (res, file) =>
        res.setHeader(
          'cache-control',
          file.includes(`${join('/', 'assets', '/')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    });
  } else {
    app.get('/', { config: { permission: 'public' }, schema: { hide: true } }, async (_req, reply) =>
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
