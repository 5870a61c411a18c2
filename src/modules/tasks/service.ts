import type { Kysely, Selectable } from 'kysely';
import { Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isOverdue, TASK_TYPE_LABELS, type TaskPriority, type TaskStatus, type TaskType } from '../../core/tasks.js';
import { parseInput } from '../../core/validation.js';
import type { Database, ServiceTasksTable } from '../../db/types.js';
import { newTaskInput, type NewTaskInput, type TaskView } from './schema.js';

/**
 * Service tasks (服务任务). Automations create them inside their own transaction through
 * createTask (pass the transaction); agents create, assign, progress and complete them by hand.
 */

/** A Kysely instance or a transaction (Transaction extends Kysely). */
export type Executor = Kysely<Database>;

type TaskRow = Selectable<ServiceTasksTable> & {
  customer_name: string | null;
  order_external_id: string | null;
  assignee_name: string | null;
};

export function presentTask(r: TaskRow, now: Date): TaskView {
  const status = r.status as TaskStatus;
  return {
    id: r.id,
    type: r.type as TaskType,
    typeLabel: TASK_TYPE_LABELS[r.type as TaskType] ?? r.type,
    title: r.title,
    customerId: r.customer_id,
    customerName: r.customer_name,
    orderId: r.order_id,
    orderExternalId: r.order_external_id,
    status,
    priority: r.priority as TaskPriority,
    dueAt: r.due_at,
    overdue: isOverdue({ status, dueAt: r.due_at }, now),
    assigneeId: r.assignee_id,
    assigneeName: r.assignee_name,
    source: r.source,
    sourceRef: r.source_ref,
    notes: r.notes,
    outcome: r.outcome,
    outcomeTag: r.outcome_tag,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    closedAt: r.closed_at,
  };
}

/** Tasks with the names an inbox shows: the customer, the order's marketplace number, the assignee. */
export function taskRows(db: Executor, ws: string) {
  return db
    .selectFrom('service_tasks as t')
    .leftJoin('customers as c', (j) =>
      j.onRef('c.workspace_id', '=', 't.workspace_id').onRef('c.id', '=', 't.customer_id'),
    )
    .leftJoin('orders as o', (j) => j.onRef('o.workspace_id', '=', 't.workspace_id').onRef('o.id', '=', 't.order_id'))
    .leftJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 't.workspace_id').onRef('u.id', '=', 't.assignee_id'))
    .selectAll('t')
    .select(['c.display_name as customer_name', 'o.external_id as order_external_id', 'u.name as assignee_name'])
    .where('t.workspace_id', '=', ws);
}

export async function taskById(db: Executor, ws: string, id: string, now: Date): Promise<TaskView> {
  const row = await taskRows(db, ws).where('t.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`task ${id} not found`);
  return presentTask(row, now);
}

/** The assignee must be an active user of the workspace. */
export async function checkAssignee(db: Executor, ws: string, userId: string): Promise<void> {
  const u = await db
    .selectFrom('users')
    .select(['id', 'disabled_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!u) throw new NotFound(`user ${userId} not found (assigneeId)`);
  if (u.disabled_at) throw new Invalid(`user ${userId} is disabled: assign the task to an active user`);
}

export interface CreateTaskRequest extends NewTaskInput {
  workspaceId: string;
  /** The user who created it by hand (null for automations). */
  createdBy?: string | null;
  /** The clock (default: now). */
  now?: Date;
}

/**
 * Creates a task. Usable inside a caller's transaction: pass the transaction as `db` and the task
 * is written (or not) with the rest of the caller's work. With a `key`, creating again returns the
 * first task unchanged (a retried automation step makes one task).
 */
export async function createTask(db: Executor, req: CreateTaskRequest): Promise<TaskView> {
  const { workspaceId: ws, createdBy = null, now = new Date(), ...rest } = req;
  const v = parseInput(newTaskInput, rest, 'The task');
  if (v.key) {
    const prior = await db
      .selectFrom('service_tasks')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('dedupe_key', '=', v.key)
      .executeTakeFirst();
    if (prior) return taskById(db, ws, prior.id, now);
  }
  const customer = await db
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', v.customerId)
    .executeTakeFirst();
  if (!customer) throw new NotFound(`customer ${v.customerId} not found`);
  if (v.orderId) {
    const o = await db
      .selectFrom('orders')
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('id', '=', v.orderId)
      .executeTakeFirst();
    if (!o) throw new NotFound(`order ${v.orderId} not found`);
    if (o.customer_id !== v.customerId) throw new Invalid(`order ${v.orderId} belongs to another customer`);
  }
  if (v.assigneeId) await checkAssignee(db, ws, v.assigneeId);
  const at = now.toISOString();
  const id = newId(now.getTime());
  await db
    .insertInto('service_tasks')
    .values({
      workspace_id: ws,
      id,
      type: v.type,
      title: v.title,
      customer_id: v.customerId,
      order_id: v.orderId ?? null,
      status: 'open',
      priority: v.priority,
      due_at: new Date(v.dueAt).toISOString(),
      assignee_id: v.assigneeId ?? null,
      source: v.source,
      source_ref: v.sourceRef ?? null,
      dedupe_key: v.key ?? null,
      notes: v.notes ?? null,
      outcome: null,
      outcome_tag: null,
      created_by: createdBy,
      created_at: at,
      updated_at: at,
      started_at: null,
      closed_at: null,
    })
    .execute();
  return taskById(db, ws, id, now);
}
