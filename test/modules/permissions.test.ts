import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type RouteAccess, ROLE_PERMISSIONS, roleAllows } from '../../src/modules/auth/permissions.js';
import { ROLES } from '../../src/modules/auth/schema.js';
import { createApiToken, createUser, login, SESSION_COOKIE } from '../../src/modules/auth/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

/**
 * The permission every route of the API needs: the same matrix as the README's "Roles and permissions". A route the
 * OpenAPI document lists and this table does not fails the walk below, so a new route is a decision, not an accident:
 * declare `config: { permission }` on it and add it here.
 */
const MATRIX: Partial<Record<RouteAccess, string[]>> = {
  public: ['POST /api/v1/auth/login', 'GET /api/v1/health'],
  authenticated: [
    'POST /api/v1/auth/logout',
    'GET /api/v1/auth/me',
    'POST /api/v1/auth/password',
    'GET /api/v1/auth/tokens',
    'DELETE /api/v1/auth/tokens/{id}',
    'GET /api/v1/workspaces',
    'POST /api/v1/auth/switch-workspace',
  ],
  'customers:read': [
    'GET /api/v1/stores',
    'GET /api/v1/stores/{id}',
    'GET /api/v1/customers',
    'GET /api/v1/customers/{id}',
    'GET /api/v1/customers/{id}/timeline',
    'GET /api/v1/customers/{id}/merges',
    'GET /api/v1/stats/settings',
    'GET /api/v1/orders',
    'GET /api/v1/orders/{id}',
    'GET /api/v1/orders/{id}/events',
    'POST /api/v1/segments/evaluate',
    'GET /api/v1/segments/fields',
    'GET /api/v1/segments/options',
    'GET /api/v1/segments',
    'GET /api/v1/segments/{id}',
    'GET /api/v1/segments/{id}/customers',
    'GET /api/v1/segments/{id}/actions',
    'GET /api/v1/segment-snapshots/{id}',
    'GET /api/v1/tags',
    'GET /api/v1/customers/{id}/tags',
    'GET /api/v1/groups',
    'GET /api/v1/customers/{id}/notes',
    'GET /api/v1/customers/{id}/points',
    'GET /api/v1/points/rewards',
    'GET /api/v1/points/settings',
    'GET /api/v1/tiers',
    'GET /api/v1/customers/{id}/tier',
    'GET /api/v1/coupons/templates',
    'GET /api/v1/coupons/expiring',
    'GET /api/v1/customers/{id}/coupons',
    'GET /api/v1/customers/{id}/reviews',
    'GET /api/v1/customers/{id}/consent',
    'GET /api/v1/customers/{id}/pipl-requests',
  ],
  'pii:read': ['GET /api/v1/customers/{id}/data-export', 'GET /api/v1/customers/{id}/data-export.zip'],
  'customers:erase': ['POST /api/v1/customers/{id}/erase'],
  'customers:write': [
    'PATCH /api/v1/customers/{id}',
    'POST /api/v1/customers/{id}/merge',
    'POST /api/v1/merges/{id}/undo',
    'POST /api/v1/tags/apply',
    'POST /api/v1/groups',
    'POST /api/v1/groups/{id}/members',
    'POST /api/v1/customers/{id}/notes',
    'POST /api/v1/customers/{id}/reviews',
    'POST /api/v1/messaging/channels/{id}/replies',
  ],
  export: [
    'POST /api/v1/customers/export',
    'GET /api/v1/segments/{id}/export.csv',
    'GET /api/v1/segments/{id}/export.xlsx',
    'GET /api/v1/analytics/export.csv',
    'GET /api/v1/analytics/export.xlsx',
    'GET /api/v1/campaigns/{id}/handoff.csv',
    'GET /api/v1/campaigns/{id}/handoff.xlsx',
    'GET /api/v1/campaigns/audiences/{id}/unmatched.csv',
  ],
  import: [
    'POST /api/v1/orders',
    'POST /api/v1/customers/attributes',
    'POST /api/v1/imports',
    'GET /api/v1/imports',
    'GET /api/v1/imports/{id}',
    'POST /api/v1/imports/{id}/resume',
    'GET /api/v1/imports/{id}/errors',
    'GET /api/v1/imports/{id}/errors.csv',
  ],
  'segments:write': [
    'POST /api/v1/segments',
    'PUT /api/v1/segments/{id}',
    'DELETE /api/v1/segments/{id}',
    'POST /api/v1/segments/{id}/snapshot',
    'POST /api/v1/segments/{id}/tag',
    'POST /api/v1/segments/{id}/untag',
    'POST /api/v1/segments/{id}/actions/tag',
    'POST /api/v1/rfm/recompute',
  ],
  'settings:write': [
    'PUT /api/v1/analytics/settings',
    'POST /api/v1/analytics/rebuild',
    'PUT /api/v1/stores/{id}/webhook',
    'POST /api/v1/stores',
    'PATCH /api/v1/stores/{id}',
    'DELETE /api/v1/stores/{id}',
    'PUT /api/v1/stats/settings',
    'PUT /api/v1/workspace/timezone',
    'PUT /api/v1/rfm/settings',
    'PUT /api/v1/points/settings',
    'PUT /api/v1/tiers',
    'POST /api/v1/tiers/evaluate',
    'POST /api/v1/messaging/channels',
    'PATCH /api/v1/messaging/channels/{id}',
    'DELETE /api/v1/messaging/channels/{id}',
    'POST /api/v1/messaging/channels/{id}/test',
    'PUT /api/v1/messaging/settings',
    'POST /api/v1/predict/refit',
    'PUT /api/v1/predict/settings',
  ],
  'points:write': [
    'POST /api/v1/customers/{id}/points/earn',
    'POST /api/v1/customers/{id}/points/redeem',
    'POST /api/v1/customers/{id}/points/adjust',
    'POST /api/v1/customers/{id}/points/sign-in',
    'POST /api/v1/customers/{id}/referrals',
    'POST /api/v1/points/rewards',
    'PUT /api/v1/points/rewards/{id}',
    'DELETE /api/v1/points/rewards/{id}',
    'POST /api/v1/points/rewards/{id}/redeem',
    'POST /api/v1/points/grant',
    'POST /api/v1/segments/{id}/actions/points',
    'POST /api/v1/points/redemptions/{id}/void',
    'POST /api/v1/points/sync',
    'PUT /api/v1/customers/{id}/tier',
  ],
  'coupons:write': [
    'POST /api/v1/coupons/templates',
    'POST /api/v1/coupons/templates/{id}/issue',
    'POST /api/v1/coupons/templates/{id}/issue-segment',
    'PUT /api/v1/coupons/templates/{id}',
    'POST /api/v1/coupons/templates/{id}/pause',
    'POST /api/v1/coupons/templates/{id}/resume',
    'DELETE /api/v1/coupons/templates/{id}',
    'POST /api/v1/segments/{id}/actions/coupon',
    'POST /api/v1/coupons/sync',
  ],
  'campaigns:read': [
    'GET /api/v1/messaging/channels',
    'GET /api/v1/messaging/settings',
    'GET /api/v1/messages',
    'GET /api/v1/campaigns',
    'GET /api/v1/campaigns/{id}',
    'GET /api/v1/campaigns/{id}/report',
    'GET /api/v1/campaigns/{id}/attribution',
    'GET /api/v1/campaigns/compare',
    'GET /api/v1/campaigns/audiences',
    'GET /api/v1/automations',
    'GET /api/v1/automations/{id}/versions',
    'GET /api/v1/automations/{id}/runs',
    'GET /api/v1/automations/export',
    'GET /api/v1/automations/holidays',
    'GET /api/v1/automations/schema',
  ],
  'automations:write': [
    'POST /api/v1/automations',
    'POST /api/v1/automations/dry-run',
    'PUT /api/v1/automations/{id}',
    'POST /api/v1/automations/{id}/enable',
    'POST /api/v1/automations/{id}/disable',
    'POST /api/v1/automations/import',
  ],
  'campaigns:write': [
    'POST /api/v1/messaging/preview',
    'POST /api/v1/campaigns',
    'PUT /api/v1/campaigns/{id}',
    'POST /api/v1/campaigns/{id}/dry-run',
    'POST /api/v1/campaigns/audiences',
  ],
  'campaigns:send': [
    'POST /api/v1/campaigns/{id}/launch',
    'POST /api/v1/campaigns/{id}/pause',
    'POST /api/v1/campaigns/{id}/resume',
    'POST /api/v1/campaigns/{id}/cancel',
    'POST /api/v1/campaigns/{id}/test',
  ],
  'tasks:read': [
    'GET /api/v1/tasks',
    'GET /api/v1/tasks/counts',
    'GET /api/v1/tasks/assignees',
    'GET /api/v1/tasks/{id}',
    'GET /api/v1/customers/{id}/tasks',
    'GET /api/v1/feedback',
    'GET /api/v1/feedback/complaints',
    'GET /api/v1/surveys',
    'GET /api/v1/surveys/{id}',
    'GET /api/v1/surveys/{id}/results',
  ],
  'tasks:write': [
    'POST /api/v1/tasks',
    'PATCH /api/v1/tasks/{id}',
    'POST /api/v1/tasks/{id}/complete',
    'POST /api/v1/feedback',
    'POST /api/v1/surveys',
    'PUT /api/v1/surveys/{id}',
    'POST /api/v1/surveys/{id}/invitations',
  ],
  'analytics:read': [
    'GET /api/v1/jobs',
    'GET /api/v1/jobs/{id}',
    'GET /api/v1/rfm/summary',
    'GET /api/v1/rfm/matrix',
    'GET /api/v1/rfm/settings',
    'GET /api/v1/points/liability',
    'POST /api/v1/tiers/preview',
    'GET /api/v1/coupons/report',
    'GET /api/v1/analytics/dashboard',
    'GET /api/v1/analytics/provinces',
    'GET /api/v1/analytics/overview',
    'GET /api/v1/analytics/repurchase',
    'GET /api/v1/analytics/cohorts',
    'GET /api/v1/analytics/distribution',
    'GET /api/v1/analytics/daily',
    'GET /api/v1/analytics/products',
    'GET /api/v1/analytics/timing',
    'GET /api/v1/analytics/effects',
    'GET /api/v1/analytics/activities',
    'GET /api/v1/analytics/settings',
    'GET /api/v1/predict/model',
    'GET /api/v1/predict/calibration',
    'GET /api/v1/predict/settings',
  ],
  'users:manage': ['GET /api/v1/users', 'POST /api/v1/users', 'PATCH /api/v1/users/{id}', 'DELETE /api/v1/users/{id}'],
  'tokens:manage': ['POST /api/v1/auth/tokens'],
  'audit:read': ['GET /api/v1/audit'],
  'pii:reveal': ['POST /api/v1/customers/{id}/reveal', 'POST /api/v1/orders/{id}/reveal'],
};

const expected = new Map<string, RouteAccess>();
for (const [access, routes] of Object.entries(MATRIX) as [RouteAccess, string[]][])
  for (const r of routes) expected.set(r, access);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of the OpenAPI document as "METHOD /path/{param}". */
function documentedRoutes(app: FastifyInstance): string[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const m of METHODS) if (ops[m]) out.push(`${m.toUpperCase()} ${path}`);
  return out;
}

interface Answer {
  status: number;
  error?: { code: string; message: string; details?: { permission?: string | null } | null };
}

describe('the role map', () => {
  it('names only known permissions, and owners and admins hold every one', () => {
    for (const role of ROLES) for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p);
    for (const p of PERMISSIONS) expect(roleAllows('owner', p) && roleAllows('admin', p)).toBe(true);
    expect(roleAllows('nobody', 'customers:read')).toBe(false);
  });

  it('keeps settings, users, tokens and points away from an analyst, and users and settings from a marketer', () => {
    for (const p of ['settings:write', 'users:manage', 'tokens:manage', 'points:write', 'export', 'pii:read'] as const)
      expect(roleAllows('analyst', p), p).toBe(false);
    for (const p of ['settings:write', 'users:manage', 'pii:read', 'audit:read'] as const)
      expect(roleAllows('marketer', p), p).toBe(false);
  });
});

describeBothDatabases('every route × every role answers as the permission matrix says', (env) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};

  const session = async (role: string) => {
    const { ctx, workspaceId } = env();
    const { token } = await login(ctx, { login: `u-${role}`, password: `${role}-password`, workspaceId });
    return `${SESSION_COOKIE}=${token}`;
  };

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    for (const role of ROLES) {
      await createUser(ctx, workspaceId, { login: `u-${role}`, password: `${role}-password`, role });
      cookies[role] = await session(role);
    }
    app = await buildServer(ctx, { dataDir: scratchDir('huike-perm-') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  let n = 0;
  const call = async (method: string, url: string, headers: Record<string, string>): Promise<Answer> => {
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-huike-client': 'test', 'idempotency-key': `perm-${++n}`, ...headers },
      ...(hasBody ? { payload: {} } : {}),
    });
    let error: Answer['error'];
    try {
      error = (res.json() as { error?: Answer['error'] }).error;
    } catch {
      /* CSV, HTML and empty answers carry no error */
    }
    return { status: res.statusCode, error };
  };

  it('every documented route is in the matrix and every matrix route is documented', () => {
    const routes = documentedRoutes(app);
    expect(
      routes.filter((r) => !expected.has(r)),
      'routes without an entry in MATRIX',
    ).toEqual([]);
    expect(
      [...expected.keys()].filter((r) => !routes.includes(r)),
      'MATRIX entries of no route',
    ).toEqual([]);
  });

  it('lets each role through where its permissions allow and refuses it with 403 naming the permission', async () => {
    const wrong: string[] = [];
    for (const route of documentedRoutes(app)) {
      const access = expected.get(route);
      if (!access) continue; // reported by the test above
      const [method, path] = route.split(' ') as [string, string];
      // Plausible ids of nothing: an allowed call answers 400 or 404, which still proves it was let through.
      const url = path.replace(/\{\w+\}/g, '01JNOTHINGHERE00000000000');
      for (const role of ROLES) {
        // Logging out would end the session the rest of the walk uses.
        const cookie = route === 'POST /api/v1/auth/logout' ? await session(role) : cookies[role]!;
        const a = await call(method, url, { cookie });
        const refusedByRole = a.status === 403 && a.error?.details?.permission !== undefined;
        const allowed = access === 'public' || access === 'authenticated' || roleAllows(role, access);
        if (allowed && (refusedByRole || a.status === 401))
          wrong.push(`${role} ${route}: expected allowed (${access}), got ${a.status} ${a.error?.message ?? ''}`);
        if (!allowed) {
          const ok =
            a.status === 403 &&
            a.error?.code === 'forbidden' &&
            a.error.details?.permission === access &&
            a.error.message.includes(`"${access}"`);
          if (!ok)
            wrong.push(`${role} ${route}: expected 403 for "${access}", got ${a.status} ${a.error?.message ?? ''}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('without a login only the public routes answer; the rest say 401', async () => {
    const wrong: string[] = [];
    for (const route of documentedRoutes(app)) {
      const [method, path] = route.split(' ') as [string, string];
      const a = await call(method, path.replace(/\{\w+\}/g, 'x'), {});
      const isPublic = expected.get(route) === 'public';
      if (isPublic ? a.status === 401 || a.status === 403 : a.status !== 401) wrong.push(`${route}: ${a.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('an encoded address (/%61pi/v1/…) is routed and checked like the plain one', async () => {
    const plain = await call('GET', '/api/v1/customers', {});
    expect(plain.status).toBe(401);
    for (const url of ['/%61pi/v1/customers', '/%61%70%69/v1/customers', '/api/v1/%63ustomers', '/api/v1/customers/']) {
      const a = await call('GET', url, {});
      expect([401, 404], url).toContain(a.status);
    }
    expect((await call('GET', '/%61pi/v1/customers', {})).status).toBe(401);
    // Routed, so the role check applies too: an analyst may not change the points settings under any spelling.
    const settings = await call('PUT', '/%61pi/v1/points/settings', { cookie: cookies.analyst! });
    expect(settings.status).toBe(403);
    expect(settings.error?.details?.permission).toBe('settings:write');
    const head = await app.inject({ method: 'HEAD', url: '/%61pi/v1/customers' });
    expect(head.statusCode).toBe(401);
    const owner = await app.inject({ method: 'GET', url: '/%61pi/v1/customers', headers: { cookie: cookies.owner! } });
    expect(owner.statusCode).toBe(200);
    expect(owner.headers['cache-control']).toBe('no-store');
  });

  it('GET /auth/me lists what the role may do, for the console to hide the rest', async () => {
    for (const role of ROLES) {
      const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: cookies[role]! } });
      expect(me.json().permissions).toEqual(PERMISSIONS.filter((p) => roleAllows(role, p)));
    }
  });

  it('a read-only API token may read but not write, even where its role may', async () => {
    const { ctx, workspaceId } = env();
    const owner = await ctx.db.kysely
      .selectFrom('users')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('login', '=', 'u-owner')
      .executeTakeFirstOrThrow();
    const t = await createApiToken(ctx, workspaceId, owner.id, 'read-only', { scopes: ['read'] });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await call('GET', '/api/v1/points/settings', auth)).status).toBe(200);
    const put = await call('PUT', '/api/v1/points/settings', auth);
    expect(put.status).toBe(403);
    expect(put.error?.message).toMatch(/read-only/);
  });
});

describeBothDatabases('a route that declares no permission', (env) => {
  let app: FastifyInstance;
  const logged: string[] = [];
  let cookie = '';

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'boss-password', role: 'owner' });
    cookie = `${SESSION_COOKIE}=${(await login(ctx, { login: 'boss', password: 'boss-password', workspaceId })).token}`;
    const stream = new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    });
    app = await buildServer(ctx, {
      dataDir: scratchDir('huike-perm-'),
      logger: { level: 'error', stream },
    });
    // A module that forgot its declaration, as a new route would.
    app.get('/api/v1/forgotten', async () => ({ secret: 'everything' }));
    app.get('/api/v1/declared', { config: { permission: 'customers:read' } }, async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is refused to everyone, the owner included, and logged as a programming error', async () => {
    for (const url of ['/api/v1/forgotten', '/%61pi/v1/forgotten']) {
      const r = await app.inject({ method: 'GET', url, headers: { cookie } });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.message).toMatch(/declares no permission/);
      expect(r.body).not.toContain('everything');
    }
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/forgotten' });
    expect(anonymous.statusCode).toBe(403);
    const told = logged.filter((l) => l.includes('declares no permission') && l.includes('/api/v1/forgotten'));
    // Once when the route was added (before anyone called it), then on every refused call.
    expect(told[0]).toContain('it will refuse everyone');
    expect(told.length).toBeGreaterThan(1);
    expect(logged.some((l) => l.includes('/api/v1/declared'))).toBe(false);
    // The same route with a declaration works.
    expect((await app.inject({ method: 'GET', url: '/api/v1/declared', headers: { cookie } })).json()).toEqual({
      ok: true,
    });
  });
});
