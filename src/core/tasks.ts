/**
 * Service tasks (服务任务): what an agent has to do for one customer, and the rules of its status.
 * A task is open, then in progress, then done (with an outcome) or cancelled; done and cancelled
 * are final. Pure: no I/O.
 */
export const TASK_TYPES = ['payment_followup', 'logistics', 'bad_review', 'revisit', 'after_sale', 'manual'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_TYPE_LABELS: Record<TaskType, string> = {
  payment_followup: '催付跟进',
  logistics: '物流异常',
  bad_review: '差评处理',
  revisit: '回访',
  after_sale: '售后',
  manual: '手工',
};

export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

export const TASK_STATUSES = ['open', 'in_progress', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_SOURCES = ['manual', 'automation', 'review', 'survey', 'api'] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];

export const TASK_STATUS_LABELS: Record<TaskStatus, string> = {
  open: '待处理',
  in_progress: '处理中',
  done: '已完成',
  cancelled: '已取消',
};

export function isFinal(status: TaskStatus): boolean {
  return status === 'done' || status === 'cancelled';
}

/**
 * Whether a task may move from one status to another. Moving back from in progress to open is
 * allowed (an agent hands it back); nothing leaves done or cancelled.
 */
export function canMove(from: TaskStatus, to: TaskStatus): boolean {
  if (from === to) return false;
  if (isFinal(from)) return false;
  return true;
}

/** Most urgent first when two tasks are due at the same time. */
export const PRIORITY_RANK: Record<TaskPriority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

/** An open task whose due time has passed. */
export function isOverdue(task: { status: TaskStatus; dueAt: string }, now: Date): boolean {
  return !isFinal(task.status) && new Date(task.dueAt).getTime() < now.getTime();
}
