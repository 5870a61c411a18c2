/**
 * A long write a button asks for (evaluate the tiers, recompute RFM) answers its result, or — on a big shop, past
 * the server's wait (HUIKE_JOB_WAIT_MS) — 202 with the job still running. `jobResult` gives the result either way,
 * following the job at GET /jobs/{id} until it is done; `onBackground` runs once when it goes on in the background.
 */
import { api, ApiError } from './api';

interface QueuedJob {
  jobId: string;
  kind: string;
  status: string;
}

const FOLLOW_MS = 2_000;

export async function jobResult<A extends object>(
  answer: A,
  onBackground?: () => void,
): Promise<Exclude<A, QueuedJob>> {
  type T = Exclude<A, QueuedJob>;
  if (!('jobId' in answer)) return answer as T;
  const { jobId } = answer as unknown as QueuedJob;
  onBackground?.();
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_MS));
    const job = await api.get('/jobs/{id}', { params: { id: jobId } });
    if (job.status === 'done') return job.result as T;
    if (job.status === 'failed')
      throw new ApiError(500, 'internal', job.lastError ?? 'the job failed', null, {
        key: 'server.internal',
        params: {},
      });
  }
}
