/**
 * A long write a button asks for (evaluate the tiers, recompute RFM) answers its result, or — on a big shop, past
 * the server's wait (HUIKE_JOB_WAIT_MS) — 202 with the job still running. `jobResult` gives the result either way,
 * following the job at GET /jobs/{id} until it is done; `notify` is told once when it goes on in the background, and
 * once when the job is still queued after STILL_QUEUED_MS (the server's job thread claims such a job at once: no
 * worker runs, `huike serve --no-worker` without a `huike worker`). `useJobResult` tells the user both.
 */
import { App } from 'antd';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from './api';

interface QueuedJob {
  jobId: string;
  kind: string;
  status: string;
}

const FOLLOW_MS = 2_000;
const STILL_QUEUED_MS = 15_000;

export async function jobResult<A extends object>(
  answer: A,
  notify?: (what: 'background' | 'stillQueued') => void,
): Promise<Exclude<A, QueuedJob>> {
  type T = Exclude<A, QueuedJob>;
  if (!('jobId' in answer)) return answer as T;
  const { jobId } = answer as unknown as QueuedJob;
  notify?.('background');
  const since = Date.now();
  let told = false;
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_MS));
    const job = await api.get('/jobs/{id}', { params: { id: jobId } });
    if (job.status === 'done') return job.result as T;
    if (job.status === 'failed')
      throw new ApiError(500, 'internal', job.lastError ?? 'the job failed', null, {
        key: 'server.internal',
        params: {},
      });
    if (!told && job.status === 'queued' && Date.now() - since >= STILL_QUEUED_MS) {
      told = true;
      notify?.('stillQueued');
    }
  }
}

/** jobResult, with the user told on screen: 正在后台处理, and a warning should the job not start. */
export function useJobResult(): <A extends object>(answer: A) => Promise<Exclude<A, QueuedJob>> {
  const { message } = App.useApp();
  const { t } = useTranslation();
  return useCallback(
    <A extends object>(answer: A) =>
      jobResult(answer, (what) => {
        if (what === 'background') void message.info(t('common.inBackground'));
        else void message.warning(t('common.stillQueued'), 10);
      }),
    [message, t],
  );
}
