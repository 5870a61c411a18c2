import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Answer } from '../../api';

export type Task = Answer<'/tasks/{id}'>;
export const TASK_TYPES = ['payment_followup', 'logistics', 'bad_review', 'revisit', 'after_sale', 'manual'] as const;
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;

const PRIORITY_COLOR: Record<string, string> = { urgent: 'red', high: 'orange', normal: 'blue', low: 'default' };
const STATUS_COLOR: Record<string, string> = {
  open: 'gold',
  in_progress: 'processing',
  done: 'success',
  cancelled: 'default',
};

export function PriorityTag({ value }: { value: string }) {
  const { t } = useTranslation();
  return <Tag color={PRIORITY_COLOR[value]}>{t(`tasks.priorities.${value}`, value)}</Tag>;
}

export function TaskStatusTag({ value }: { value: string }) {
  const { t } = useTranslation();
  return <Tag color={STATUS_COLOR[value]}>{t(`tasks.statuses.${value}`, value)}</Tag>;
}

export function TaskTypeTag({ value }: { value: string }) {
  const { t } = useTranslation();
  return <Tag>{t(`tasks.types.${value}`, value)}</Tag>;
}
