import type {} from '@fastify/cookie';
import { z } from 'zod';
import { meOutput } from '../auth/schema.js';
import { logout, SESSION_COOKIE, SESSION_DAYS } from '../auth/service.js';
import { principalOf, type ModuleRoutes } from '../http.js';
import { myWorkspaces, switchWorkspace } from './members.js';
import { setWorkspaceTimezone, workspaceTimezoneInput, workspaceTimezoneOutput } from './timezone.js';

const tags = ['auth'];

/** The caller's workspaces and switching between them (agencies running several shops). */
export const workspaceRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/workspaces',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        summary: 'The workspaces (shops) you belong to, with your role in each',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                timezone: z.string(),
                role: z.string(),
                current: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await myWorkspaces(ctx, principalOf(req)) }),
  );
  app.put(
    '/workspace/timezone',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags: ['settings'],
        summary:
          'Move the workspace to another time zone (IANA, e.g. Asia/Shanghai): local days, nightly runs and send ' +
          'windows follow it; 数据分析, RFM and predictions are rebuilt in the background; past grants stay as written',
        body: workspaceTimezoneInput,
        response: { 200: workspaceTimezoneOutput },
      },
    },
    async (req) => setWorkspaceTimezone(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/auth/switch-workspace',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        summary: 'Continue in another workspace you belong to: a new session there replaces this one',
        body: z.object({ workspaceId: z.string().min(1) }).strict(),
        response: { 200: meOutput },
      },
    },
    async (req, reply) => {
      const { token, me } = await switchWorkspace(ctx, principalOf(req), req.body.workspaceId);
      const old = req.cookies[SESSION_COOKIE];
      if (old) await logout(ctx, old);
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: req.protocol === 'https',
        maxAge: SESSION_DAYS * 86_400,
      });
      return me;
    },
  );
};
