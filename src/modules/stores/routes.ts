import { z } from 'zod';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import { storeInput, storeOutput, storePatch } from './schema.js';
import { createStore, deleteStore, getStore, listStores, presentStore, updateStore } from './service.js';

export const storeRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['stores'];
  app.get(
    '/stores',
    {
      config: { permission: 'customers:read' },
      schema: { tags, summary: 'List stores', response: { 200: z.object({ items: z.array(storeOutput) }) } },
    },
    async (req) => ({
      items: (await listStores(ctx, principalOf(req).workspaceId)).map(presentStore),
    }),
  );
  app.post(
    '/stores',
    {
      config: { permission: 'settings:write' },
      schema: { tags, summary: 'Create a store', body: storeInput, response: { 201: storeOutput } },
    },
    async (req, reply) => {
      reply.code(201);
      return presentStore(await createStore(ctx, principalOf(req).workspaceId, req.body));
    },
  );
  app.get(
    '/stores/:id',
    {
      config: { permission: 'customers:read' },
      schema: { tags, summary: 'A store', params: idParams, response: { 200: storeOutput } },
    },
    async (req) => presentStore(await getStore(ctx, principalOf(req).workspaceId, req.params.id)),
  );
  app.patch(
    '/stores/:id',
    {
      config: { permission: 'settings:write' },
      schema: { tags, summary: 'Change a store', params: idParams, body: storePatch, response: { 200: storeOutput } },
    },
    async (req) => presentStore(await updateStore(ctx, principalOf(req).workspaceId, req.params.id, req.body)),
  );
  app.delete(
    '/stores/:id',
    {
      config: { permission: 'settings:write' },
      schema: { tags, summary: 'Delete a store without orders', params: idParams, response: { 204: noContent } },
    },
    async (req, reply) => {
      await deleteStore(ctx, principalOf(req).workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );
};
