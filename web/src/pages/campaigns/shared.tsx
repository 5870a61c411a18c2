import { Tag } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { CampaignStatus } from './types';

const STATUS_COLORS: Record<CampaignStatus, string> = {
  draft: 'default',
  scheduled: 'cyan',
  running: 'processing',
  paused: 'warning',
  done: 'success',
  cancelled: 'error',
};

export function StatusTag({ status }: { status: CampaignStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLORS[status]} data-testid="campaign-status">
      {t(`campaigns.statuses.${status}`)}
    </Tag>
  );
}

/** A hold reason in the UI language (the server's codes: frequency_cap, no_consent …). */
export function reasonLabel(t: TFunction, code: string | null): string {
  if (!code) return '';
  return t(`campaigns.reasons.${code}`, { defaultValue: t('campaigns.reasons.unknown') });
}

export const sumValues = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
