import { shownForRole, shownOneForRole } from '../customers/shown-names.js';
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
      return { ...list, items: await shownForRole(ctx, p.workspaceId, p.role, list.items, taskTexts) };
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
      return shownOneForRole(
        ctx,
        p.workspaceId,
        p.role,
        await createManualTask(ctx, p.workspaceId, req.body, p.userId),
        taskTexts,
      );
    },
  );

  app.get(
    '/tasks/:id',
    { config: read, schema: { tags, summary: 'One task', params: idParams, response: { 200: taskView } } },
    async (req) => {
      const p = principalOf(req);
      return shownOneForRole(ctx, p.workspaceId, p.role, await getTask(ctx, p.workspaceId, req.params.id), taskTexts);
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
      return shownOneForRole(
        ctx,
        p.workspaceId,
        p.role,
        await updateTask(ctx, p.workspaceId, req.params.id, req.body),
        taskTexts,
      );
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
      return shownOneForRole(ctx, p.workspaceId, p.role, done, taskTexts);
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
    async (req) => {
      const p = principalOf(req);
      return {
        items: await shownForRole(
          ctx,
          p.workspaceId,
          p.role,
          await customerTasks(ctx, p.workspaceId, req.params.id),
          taskTexts,
        ),
      };
    },
  );
};
