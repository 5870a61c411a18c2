import { App } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Answer, api, apiUrl, type CallOptions, type PathOf } from './api';
import { errorText } from './errors';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs a path (null = not yet) and keeps the result, the error and a reload. */
export function useApi<P extends PathOf<'get'>>(
  path: P | null,
  opts: Pick<CallOptions<P, 'get'>, 'params' | 'query'> = {},
): Loaded<Answer<P>> {
  type T = Answer<P>;
  const url = path === null ? null : apiUrl(path, opts.params, opts.query);
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api.get(path, { ...opts, signal: ctl.signal }).then(
      (data) => setState({ data, loading: false }),
      (error: Error) => {
        if (error.name !== 'AbortError') setState((s) => ({ ...s, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [url, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A value that settles `ms` after its last change (live counts while typing). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** A value kept in localStorage (column choices, language). */
export function useStored<T>(key: string, initial: T): [T, (v: T) => void] {
  const [v, setV] = useState<T>(() => {
    try {
      const s = localStorage.getItem(key);
      return s === null ? initial : (JSON.parse(s) as T);
    } catch {
      return initial;
    }
  });
  const set = useCallback(
    (nv: T) => {
      setV(nv);
      localStorage.setItem(key, JSON.stringify(nv));
    },
    [key],
  );
  return [v, set];
}

/** Calls `fn` every `ms` while `active`. */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => ref.current(), ms);
    return () => clearInterval(id);
  }, [ms, active]);
}

/**
 * Runs a user action (save, issue, grant …): `busy` while it runs, the server's message on failure.
 * A form that did not validate shows its own field errors, so that failure is not repeated.
 */
export function useAction(): { busy: boolean; run: (fn: () => Promise<unknown>) => Promise<boolean> } {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true);
      try {
        await fn();
        return true;
      } catch (e) {
        // An error stays long enough to read (3 s took a reason away mid-sentence): 6 s, more for a long one.
        if (!(typeof e === 'object' && e !== null && 'errorFields' in e)) {
          const content = errorText(e);
          void message.error({ content, duration: Math.max(6, Math.ceil(content.length / 12)) });
        }
        return false;
      } finally {
        setBusy(false);
      }
    },
    [message],
  );
  return { busy, run };
}
