import { reason } from '../../core/reasons.js';
import type {} from '@fastify/cookie';
import { z } from 'zod';
import { Forbidden } from '../../core/errors.js';
import { TooManyAttempts } from './throttle.js';
import { noContent, principalOf, type ModuleRoutes } from '../http.js';
import { loginInput, meOutput, ROLES, tokenInput, tokenOutput, userInput, userOutput, usersOutput } from './schema.js';
import { addUser, createApiToken, login, logout, SESSION_COOKIE, SESSION_DAYS, usersFor, whoAmI } from './service.js';

const tags = ['auth'];

const loginSchema = {
  tags,
  summary: 'Log in: sets the session cookie',
  body: loginInput,
  response: { 200: meOutput },
};

const logoutSchema = { tags, summary: 'Log out', response: { 204: noContent } };

const meSchema = { tags, summary: 'Who is logged in', response: { 200: meOutput } };

const createTokenSchema = {
  tags,
  summary: 'Create an API token (shown once)',
  body: tokenInput,
  response: { 201: tokenOutput },
};

const listUsersSchema = {
  tags,
  summary: 'Users of the workspace and their roles (owner and admin only)',
  response: { 200: usersOutput },
};

const addUserSchema = {
  tags,
  summary: 'Add a user with a role: owner, admin, marketer, agent, analyst (owner and admin only)',
  // The role is said: left out, it was owner (the CLI's default for the first user), the widest.
  body: userInput.extend({ role: z.enum(ROLES) }),
  response: { 201: userOutput },
};

export const authRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.post('/auth/login', { config: { permission: 'public' }, schema: loginSchema }, async (req, reply) => {
    const { token, me } = await login(ctx, req.body, req.ip).catch((e: unknown) => {
      if (e instanceof TooManyAttempts) reply.header('retry-after', String(e.retryAfterSeconds));
      throw e;
    });
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: req.protocol === 'https',
      maxAge: SESSION_DAYS * 86_400,
    });
    return me;
  });

  app.post('/auth/logout', { config: { permission: 'authenticated' }, schema: logoutSchema }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await logout(ctx, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get('/auth/me', { config: { permission: 'authenticated' }, schema: meSchema }, async (req) =>
    whoAmI(ctx, principalOf(req)),
  );

  app.post(
    '/auth/tokens',
    { config: { permission: 'tokens:manage' }, schema: createTokenSchema },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.via === 'token')
        throw new Forbidden('an API token cannot create tokens: log in to the console', reason('token.byToken'));
      reply.code(201);
      return createApiToken(ctx, p.workspaceId, p.userId, req.body.name, req.body);
    },
  );

  app.get('/users', { config: { permission: 'users:manage' }, schema: listUsersSchema }, async (req) => ({
    items: await usersFor(ctx, principalOf(req)),
  }));

  app.post('/users', { config: { permission: 'users:manage' }, schema: addUserSchema }, async (req, reply) => {
    const u = await addUser(ctx, principalOf(req), req.body);
    reply.code(201);
    return u;
  });
};
