import { reason } from '../../core/reasons.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Forbidden, Unauthorized } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { roleAllows, type RouteAccess } from './permissions.js';
import { authenticate, type Principal, SESSION_COOKIE } from './service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What the matched route asks of its caller. The decision is on the ROUTED route (fastify's router has already
 * decoded `/%61pi/v1/…` into `/api/v1/…` and matched it), never on the raw address. `undefined`: no route matched
 * (the not-found handler answers) or a route outside /api/ that declares nothing (console files, the API docs).
 * `'undeclared'`: an /api/ route without `config.permission` — a programming error, refused to everyone.
 */
export function routeAccess(req: FastifyRequest): RouteAccess | 'undeclared' | undefined {
  const url = req.routeOptions.url;
  if (url === undefined) return undefined;
  const declared = req.routeOptions.config.permission;
  if (declared !== undefined) return declared;
  return url.startsWith('/api/') ? 'undeclared' : undefined;
}

/** The principal of a session cookie or an `Authorization: Bearer` API token, or null. */
export async function principalFrom(ctx: AppContext, req: FastifyRequest): Promise<Principal | null> {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return authenticate(ctx, bearer ?? req.cookies[SESSION_COOKIE]);
}

/**
 * Throws unless `p` may call a route that needs `access`: a login for anything but `public`, the write scope for a
 * change made with an API token, and the permission in the role's set (ROLE_PERMISSIONS).
 */
export function checkAccess(p: Principal | null, access: RouteAccess, method: string): void {
  if (access === 'public') return;
  if (!p)
    throw new Unauthorized(
      'log in (POST /api/v1/auth/login) or send an API token: Authorization: Bearer <token>',
      reason('auth.loginRequired'),
    );
  if (!SAFE_METHODS.has(method) && !p.scopes.includes('write'))
    throw new Forbidden(
      'this API token is read-only (scope "read"): create one with the "write" scope to make changes',
      reason('token.readOnly'),
      {
        scope: 'write',
      },
    );
  if (access === 'authenticated' || roleAllows(p.role, access)) return;
  throw new Forbidden(
    `your role (${p.role}) does not have the "${access}" permission this needs`,
    reason('auth.permission', { role: p.role, permission: access }),
    {
      permission: access,
      role: p.role,
    },
  );
}

/**
 * The one access check of the server (default deny): every route declares the permission it needs in its options
 * (`config: { permission }`); an /api/ route without one refuses everyone with 403 and logs a programming error.
 * Runs on onRequest, before a body (an upload) is read.
 */
export function registerAccessControl(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('principal', null);
  // Said as soon as the route is added, not only when someone calls it.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.config?.permission === undefined)
      app.log.error(
        { route: `${String(route.method)} ${route.url}` },
        'route declares no permission (config.permission): it will refuse everyone',
      );
  });
  app.addHook('onRequest', async (req) => {
    const access = routeAccess(req);
    if (access === undefined || access === 'public') return;
    if (access === 'undeclared') {
      const route = `${req.method} ${req.routeOptions.url}`;
      req.log.error({ route }, 'route declares no permission (config.permission): refused to everyone');
      throw new Forbidden(
        `${route} declares no permission, so it is refused to everyone: this is a bug in the server ` +
          '(the route needs config.permission)',
        reason('auth.routeNoPermission', { route }),
        { permission: null },
      );
    }
    req.principal = await principalFrom(ctx, req);
    checkAccess(req.principal, access, req.method);
  });
}
