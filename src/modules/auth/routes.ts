import type {} from '@fastify/cookie';
import { z } from 'zod';
import { Forbidden, NotFound } from '../../core/errors.js';
import { canManageUsers } from './roles.js';
import { principalOf, type ModuleRoutes } from '../http.js';
import { loginInput, meOutput, userInput } from './schema.js';
import { createApiToken, createUser, listUsers, login, logout, SESSION_COOKIE, SESSION_DAYS } from './service.js';

export const authRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['auth'];
  app.post(
    '/auth/login',
    { schema: { tags, summary: 'Log in: sets the session cookie', body: loginInput, response: { 200: meOutput } } },
    async (req, reply) => {
      const { token, user } = await login(ctx, req.body);
      const ws = await ctx.db.kysely
        .selectFrom('workspaces')
        .selectAll()
        .where('id', '=', user.workspace_id)
        .executeTakeFirstOrThrow();
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: req.protocol === 'https',
        maxAge: SESSION_DAYS * 86_400,
      });
      return {
        user: { id: user.id, login: user.login, name: user.name, role: user.role },
        workspace: { id: ws.id, name: ws.name, timezone: ws.timezone },
        via: 'session' as const,
      };
    },
  );
  app.post('/auth/logout', { schema: { tags, summary: 'Log out' } }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await logout(ctx, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
  app.get('/auth/me', { schema: { tags, summary: 'Who is logged in', response: { 200: meOutput } } }, async (req) => {
    const p = principalOf(req);
    const user = await ctx.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('workspace_id', '=', p.workspaceId)
      .where('id', '=', p.userId)
      .executeTakeFirst();
    const ws = await ctx.db.kysely
      .selectFrom('workspaces')
      .selectAll()
      .where('id', '=', p.workspaceId)
      .executeTakeFirst();
    if (!user || !ws) throw new NotFound('user not found');
    return {
      user: { id: user.id, login: user.login, name: user.name, role: user.role },
      workspace: { id: ws.id, name: ws.name, timezone: ws.timezone },
      via: p.via,
    };
  });
  app.post(
    '/auth/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token (shown once)',
        body: z.object({ name: z.string().trim().min(1).max(64) }),
        response: { 201: z.object({ id: z.string(), token: z.string() }) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.code(201);
      return createApiToken(ctx, p.workspaceId, p.userId, req.body.name);
    },
  );
  app.get(
    '/users',
    { schema: { tags, summary: 'Users of the workspace and their roles (owner and admin only)' } },
    async (req) => {
      const p = principalOf(req);
      if (!canManageUsers(p.role)) throw new Forbidden('only an owner or admin can see the users');
      return { items: await listUsers(ctx, p.workspaceId) };
    },
  );
  app.post(
    '/users',
    {
      schema: {
        tags,
        summary: 'Add a user with a role: owner, admin, marketer, agent, analyst (owner and admin only)',
        body: userInput,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (!canManageUsers(p.role)) throw new Forbidden('only an owner or admin can add users');
      if (req.body.role === 'owner' && p.role !== 'owner') throw new Forbidden('only an owner can add another owner');
      const u = await createUser(ctx, p.workspaceId, req.body);
      reply.code(201);
      return { id: u.id, login: u.login, name: u.name, role: u.role };
    },
  );
};
