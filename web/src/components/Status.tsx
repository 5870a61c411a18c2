import { Alert, Empty, Result, Skeleton } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';
import { errorText } from '../errors';

/** Loading, error and empty states: a page never shows a blank. */
export function Loading() {
  return <Skeleton active paragraph={{ rows: 6 }} />;
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const { t } = useTranslation();
  // What is not there (deleted, merged, a mistyped link) will not be there on a retry: the way back instead.
  const gone = error instanceof ApiError && error.status === 404;
  return (
    <Alert
      type="error"
      showIcon
      message={t('common.loadFailed')}
      description={errorText(error)}
      action={
        gone ? (
          <a onClick={() => window.history.back()}>{t('common.goBack')}</a>
        ) : onRetry ? (
          <a onClick={onRetry}>{t('common.retry')}</a>
        ) : undefined
      }
      style={{ marginBottom: 16 }}
    />
  );
}

export function EmptyState({ title, hint, action }: { title: string; hint?: string; action?: ReactNode }) {
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={
        <div>
          <div style={{ fontWeight: 500 }}>{title}</div>
          {hint && <div style={{ color: '#8c8c8c', marginTop: 4 }}>{hint}</div>}
        </div>
      }
    >
      {action}
    </Empty>
  );
}

/** A capability that has not landed yet: says what it will do and what to use meanwhile. */
export function NotYet({ title, hint }: { title: string; hint: string }) {
  return <Result status="info" title={title} subTitle={hint} />;
}
