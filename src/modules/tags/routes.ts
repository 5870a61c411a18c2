import { shownText } from '../../core/validation.js';
import { z } from 'zod';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import {
  addNote,
  createGroup,
  customerTags,
  listGroups,
  listNotes,
  listTags,
  setGroupMembers,
  tagCustomers,
} from './service.js';

const names = z.array(shownText(40)).max(50);

export const tagRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/tags',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags: ['tags'],
        summary: 'Tags with how many customers carry them',
        response: {
          200: z.object({
            items: z.array(z.object({ id: z.string(), name: z.string(), color: z.string(), customers: z.number() })),
          }),
        },
      },
    },
    async (req) => ({
      items: (await listTags(ctx, principalOf(req).workspaceId)).map((t) => ({
        id: t.id,
        name: t.name,
        color: t.color,
        customers: Number(t.customers),
      })),
    }),
  );
  app.post(
    '/tags/apply',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags: ['tags'],
        summary: 'Add and remove tags on a selection of customers',
        body: z.object({
          customerIds: z.array(z.string()).min(1).max(10_000),
          add: names.default([]),
          remove: names.default([]),
        }),
        response: {
          200: z.object({
            customers: z.number().describe('customers tagged'),
            erased: z.number().describe('customers of the selection whose data was erased (PIPL): passed by'),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return tagCustomers(ctx, p.workspaceId, req.body.customerIds, req.body.add, req.body.remove, p.userId);
    },
  );
  app.get(
    '/customers/:id/tags',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags: ['tags'],
        summary: "A customer's tags",
        params: idParams,
        response: {
          200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), color: z.string() })) }),
        },
      },
    },
    async (req) => ({
      items: (await customerTags(ctx, principalOf(req).workspaceId, req.params.id)).map((t) => ({
        id: t.id,
        name: t.name,
        color: t.color,
      })),
    }),
  );
  app.get(
    '/groups',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags: ['groups'],
        summary: 'Groups (分组)',
        response: {
          200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), customers: z.number() })) }),
        },
      },
    },
    async (req) => ({
      items: (await listGroups(ctx, principalOf(req).workspaceId)).map((g) => ({
        id: g.id,
        name: g.name,
        customers: Number(g.customers),
      })),
    }),
  );
  app.post(
    '/groups',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags: ['groups'],
        summary: 'Create a group',
        body: z.object({ name: z.string() }),
        response: { 201: z.object({ id: z.string(), name: z.string() }) },
      },
    },
    async (req, reply) => {
      const g = await createGroup(ctx, principalOf(req).workspaceId, req.body.name);
      reply.code(201);
      return { id: g.id, name: g.name };
    },
  );
  app.post(
    '/groups/:id/members',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags: ['groups'],
        summary: 'Add and remove customers of a group',
        params: idParams,
        body: z.object({
          add: z.array(z.string()).max(10_000).default([]),
          remove: z.array(z.string()).max(10_000).default([]),
        }),
        response: { 204: noContent },
      },
    },
    async (req, reply) => {
      await setGroupMembers(ctx, principalOf(req).workspaceId, req.params.id, req.body.add, req.body.remove);
      return reply.code(204).send(null);
    },
  );
  const note = z.object({ id: z.string(), body: z.string(), createdAt: z.string(), author: z.string().nullable() });
  app.get(
    '/customers/:id/notes',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags: ['notes'],
        summary: 'Notes (备注) on a customer, newest first',
        params: idParams,
        response: { 200: z.object({ items: z.array(note) }) },
      },
    },
    async (req) => ({
      items: (await listNotes(ctx, principalOf(req).workspaceId, req.params.id, principalOf(req).role)).map((n) => ({
        id: n.id,
        body: n.body,
        createdAt: n.created_at,
        author: n.author,
      })),
    }),
  );
  app.post(
    '/customers/:id/notes',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags: ['notes'],
        summary: 'Add a note',
        params: idParams,
        body: z.object({ body: z.string() }),
        response: { 201: z.object({ id: z.string(), body: z.string(), createdAt: z.string() }) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const n = await addNote(ctx, p.workspaceId, req.params.id, req.body.body, p.userId);
      reply.code(201);
      return { id: n.id, body: n.body, createdAt: n.created_at };
    },
  );
};
