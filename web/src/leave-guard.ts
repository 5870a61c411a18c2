import { App } from 'antd';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useBlocker } from 'react-router-dom';

/**
 * While `dirty`, leaving the page asks first: a link or menu click inside the console (react-router's
 * blocker) and closing or reloading the tab (the browser's own beforeunload prompt). `markClean` lets
 * a page leave right after saving, before its state has caught up.
 */
export function useLeaveGuard(dirty: boolean): { markClean: () => void } {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirtyRef.current && currentLocation.pathname !== nextLocation.pathname,
  );
  const blockerRef = useRef(blocker);
  blockerRef.current = blocker;
  const asking = useRef(false);
  useEffect(() => {
    // One question per blocked navigation, however often this effect runs while it is open.
    if (blocker.state !== 'blocked' || asking.current) return;
    asking.current = true;
    modal.confirm({
      title: t('leave.title'),
      content: t('leave.content'),
      okText: t('leave.leave'),
      cancelText: t('leave.stay'),
      okButtonProps: { danger: true, 'data-testid': 'leave-confirm' },
      onOk: () => {
        asking.current = false;
        blockerRef.current.proceed?.();
      },
      onCancel: () => {
        asking.current = false;
        blockerRef.current.reset?.();
      },
    });
  }, [blocker.state, modal, t]);
  useEffect(() => {
    if (!dirty) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty]);
  return {
    markClean: () => {
      dirtyRef.current = false;
    },
  };
}
