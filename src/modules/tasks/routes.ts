import type { FastifyRequest } from 'fastify';
import { shownForRole } from '../customers/shown-names.js';
import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import {
  completeInput,
  manualTaskInput,
  type TaskView,
  taskList,
  taskListQuery,
  taskPatch,
  taskView,
} from './schema.js';
import {
  assignees,
  completeTask,
  createManualTask,
  customerTasks,
  getTask,
  listTasks,
  taskCounts,
  updateTask,
} from './service.js';

const tags = ['tasks'];
const read = { permission: 'tasks:read' } as const;
const write = { permission: 'tasks:write' } as const;

/** A task's title and notes name the customer in staff's words: masked for a role without pii:read as the name is. */
const taskTexts = (t: TaskView, mask: (v: string) => string) => ({
  title: mask(t.title),
  notes: t.notes === null ? null : mask(t.notes),
});

export const taskRoutes: ModuleRoutes = async (app, { ctx }) => {
  /** Tasks as the caller's role may see them (taskTexts, the customer's name). */
  const seen = (req: FastifyRequest, tasks: TaskView[]) => {
    const p = principalOf(req);
    return shownForRole(ctx, p.workspaceId, p.role, tasks, taskTexts);
  };
  const seenOne = async (req: FastifyRequest, task: TaskView) => (await seen(req, [task]))[0]!;
  app.get(
    '/tasks',
    {
      config: read,
      schema: {
        tags,
        summary: 'Service tasks (服务任务), earliest due first: mine or all, by status, type, priority, assignee',
        querystring: taskListQuery,
        response: { 200: taskList },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const list = await listTasks(ctx, p.workspaceId, p.userId, req.query);
      return { ...list, items: await seen(req, list.items) };
    },
  );

  app.get(
    '/tasks/counts',
    {
      config: read,
      schema: {
        tags,
        summary: 'Open, in-progress and overdue tasks, and how many are assigned to the caller',
        response: {
          200: z.object({ open: z.number(), inProgress: z.number(), overdue: z.number(), mine: z.number() }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return taskCounts(ctx, p.workspaceId, p.userId);
    },
  );

  app.get(
    '/tasks/assignees',
    {
      config: read,
      schema: {
        tags,
        summary: 'The active users a task can be assigned to',
        response: {
          200: z.object({
            items: z.array(z.object({ id: z.string(), login: z.string(), name: z.string(), role: z.string() })),
          }),
        },
      },
    },
    async (req) => ({ items: await assignees(ctx, principalOf(req).workspaceId) }),
  );

  app.post(
    '/tasks',
    {
      config: write,
      schema: {
        tags,
        summary: 'Create a task by hand (source manual); with key, a retry returns the first task',
        body: manualTaskInput,
        response: { 200: taskView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return seenOne(req, await createManualTask(ctx, p.workspaceId, req.body, p.userId));
    },
  );

  app.get(
    '/tasks/:id',
    { config: read, schema: { tags, summary: 'One task', params: idParams, response: { 200: taskView } } },
    async (req) => {
      const p = principalOf(req);
      return seenOne(req, await getTask(ctx, p.workspaceId, req.params.id));
    },
  );

  app.patch(
    '/tasks/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Assign, re-prioritise, move the due time, take up (in_progress), hand back (open) or cancel',
        params: idParams,
        body: taskPatch,
        response: { 200: taskView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return seenOne(req, await updateTask(ctx, p.workspaceId, req.params.id, req.body));
    },
  );

  app.post(
    '/tasks/:id/complete',
    {
      config: write,
      schema: {
        tags,
        summary: "Finish a task with its outcome (shown on the customer's timeline), optionally tagging the customer",
        params: idParams,
        body: completeInput,
        response: { 200: taskView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const done = await completeTask(ctx, p.workspaceId, req.params.id, req.body, p.userId);
      return seenOne(req, done);
    },
  );

  app.get(
    '/customers/:id/tasks',
    {
      config: read,
      schema: {
        tags,
        summary: "A customer's service tasks, newest first",
        params: idParams,
        response: { 200: z.object({ items: z.array(taskView) }) },
      },
    },
    async (req) => ({ items: await seen(req, await customerTasks(ctx, principalOf(req).workspaceId, req.params.id)) }),
  );
};
