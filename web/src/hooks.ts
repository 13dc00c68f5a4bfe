/** Data loading for pages: `useApi(path)` fetches (and optionally polls while the tab is visible). */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiOptions, api } from './api.ts';

/** The `check` of a list reply: `{ items: [...] }` (cursor-paged lists add `nextCursor`). */
export const isList = (body: unknown): boolean => Array.isArray((body as { items?: unknown }).items);

export interface ApiState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(
  path: string | null,
  options: Pick<ApiOptions, 'operator' | 'check'> & { pollMs?: number } = {},
): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const opts = useRef(options);
  opts.current = options;
  const shownPath = useRef(path);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick asks for a reload
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    let live = true;
    setLoading(true);
    if (shownPath.current !== path) {
      shownPath.current = path;
      setData(undefined);
      setError(undefined);
    }
    const load = () =>
      api<T>(path, {
        operator: opts.current.operator ?? false,
        ...(opts.current.check ? { check: opts.current.check } : {}),
      })
        .then((d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (live) setError(e);
        })
        .finally(() => {
          if (live) setLoading(false);
        });
    void load();
    const pollMs = opts.current.pollMs;
    const timer = pollMs
      ? setInterval(() => {
          if (document.visibilityState === 'visible') void load();
        }, pollMs)
      : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [path, tick]);

  return { data, error, loading, reload };
}

/** What {@link useAction} gives a page. */
export interface ActionState {
  /** The key of the action running, if one is: the others' buttons wait. */
  busy: string | undefined;
  /** Why the last action was refused. */
  error: unknown;
  /** The last action's outcome, as a line for the user. */
  done: string | undefined;
  /** Runs `action` (which returns its outcome line) under `key`, one at a time. */
  run(key: string, action: () => Promise<string>): Promise<void>;
}

/** A page's buttons that call the API: one running at a time, its refusal or its outcome kept. */
export function useAction(): ActionState {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const run = useCallback(async (key: string, action: () => Promise<string>) => {
    setBusy(key);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  }, []);
  return { busy, error, done, run };
}
