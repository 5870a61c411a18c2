import type {} from '@fastify/cookie';
import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { changeOwnPassword, deleteUser, listTokens, revokeToken, updateUser, userPatch } from './accounts.js';
import { login, SESSION_COOKIE, SESSION_DAYS } from './service.js';

const userOutput = z.object({
  id: z.string(),
  login: z.string(),
  name: z.string(),
  role: z.string(),
  createdAt: z.string(),
  disabled: z.boolean(),
});

const tokenOutput = z.object({
  id: z.string(),
  name: z.string(),
  login: z.string(),
  scopes: z.array(z.enum(['read', 'write'])),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  active: z.boolean(),
});

/** Users: disable, enable, delete, change role; own password; API tokens: list and revoke. */
export const accountRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['auth'];
  app.patch(
    '/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags,
        summary: 'Change a user: role, name, disabled (owner and admin only; disabling ends their sessions and tokens)',
        params: idParams,
        body: userPatch,
        response: { 200: userOutput },
      },
    },
    async (req) => updateUser(ctx, principalOf(req), req.params.id, req.body),
  );
  app.delete(
    '/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags,
        summary: 'Delete a user with their sessions and tokens (owner and admin only)',
        params: idParams,
      },
    },
    async (req, reply) => {
      await deleteUser(ctx, principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
  app.post(
    '/auth/password',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        summary: 'Change your own password: every session and token you had ends; this browser gets a new session',
        body: z.object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(8).max(256) }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await changeOwnPassword(ctx, p, req.body.currentPassword, req.body.newPassword);
      if (p.via === 'session') {
        const { token } = await login(ctx, {
          login: p.login,
          password: req.body.newPassword,
          workspaceId: p.workspaceId,
        });
        reply.setCookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'lax',
          path: '/',
          secure: req.protocol === 'https',
          maxAge: SESSION_DAYS * 86_400,
        });
      }
      return reply.code(204).send();
    },
  );
  app.get(
    '/auth/tokens',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        summary: 'Your API tokens (all=true: every token of the workspace, owner and admin only)',
        querystring: z.object({ all: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ items: z.array(tokenOutput) }) },
      },
    },
    async (req) => ({ items: await listTokens(ctx, principalOf(req), req.query.all === 'true') }),
  );
  app.delete(
    '/auth/tokens/:id',
    {
      config: { permission: 'authenticated' },
      schema: { tags, summary: 'Revoke an API token (your own; owners and admins: any)', params: idParams },
    },
    async (req, reply) => {
      await revokeToken(ctx, principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
};
