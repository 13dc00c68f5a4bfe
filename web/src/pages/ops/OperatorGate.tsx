/**
 * Operators sign in with an API key pasted here: checked with GET /v1/whoami, kept in
 * sessionStorage for this tab only (never in a cookie or localStorage), sent as Bearer by the ops
 * pages. "Forget the key" removes it. The pages below the gate ask {@link useOperatorMay} whether
 * the key has a scope, to hide the controls it would be refused; a page outside the gate that acts
 * with the same key (a proposal's execute and cancel) wraps those controls in
 * {@link OperatorScopes} to ask the same.
 */
import { createContext, type FormEvent, type ReactNode, useContext, useEffect, useId, useState } from 'react';
import { ApiError, api, operatorKey, setOperatorKey } from '../../api.ts';
import { rumFeature } from '../../rum.ts';
import { ErrorNotice } from '../../ui.tsx';
import { scopeAllows } from './scope-allows.ts';

interface WhoAmI {
  id: string;
  name: string;
  scopes: string[];
}

const WHO_KEY = 'cb.operatorWho';

const Who = createContext<WhoAmI | undefined>(undefined);

/**
 * Whether the operator's key has `scope` (`admin` and `<resource>:admin` included): undefined while
 * the key is being checked, so a page shows its controls until it knows they would be refused.
 * Answers below {@link OperatorGate} or {@link OperatorScopes}; undefined anywhere else.
 */
export function useOperatorMay(scope: string): boolean | undefined {
  const who = useContext(Who);
  return who ? scopeAllows(who.scopes, scope) : undefined;
}

/** The key's identity as last checked in this tab (shown at once on a reload, checked again behind). */
function remembered(): WhoAmI | undefined {
  try {
    const raw = sessionStorage.getItem(WHO_KEY);
    return raw && operatorKey() ? (JSON.parse(raw) as WhoAmI) : undefined;
  } catch {
    return undefined;
  }
}

function remember(who: WhoAmI | undefined): void {
  try {
    if (who) sessionStorage.setItem(WHO_KEY, JSON.stringify(who));
    else sessionStorage.removeItem(WHO_KEY);
  } catch {
    // storage unavailable: the name is checked on each load
  }
}

/**
 * For controls outside the gate that act with the key this tab holds (pasted on an operator page):
 * gives {@link useOperatorMay} the key's scopes, as last checked by the gate at once, then checked
 * again with GET /v1/whoami. Asks for no key: without one, or when it cannot be checked, the
 * controls stay and the API decides.
 */
export function OperatorScopes({ children }: { children: ReactNode }) {
  const [who, setWho] = useState<WhoAmI | undefined>(remembered);

  useEffect(() => {
    let live = true;
    // Only the latest check's answer counts: a slow answer for a key since replaced is dropped.
    let latest = 0;
    const check = () => {
      const mine = ++latest;
      if (!operatorKey()) {
        setWho(undefined);
        return;
      }
      api<WhoAmI>('/v1/whoami', { operator: true })
        .then((w) => {
          if (!live || mine !== latest) return;
          remember(w);
          setWho(w);
        })
        .catch((e: unknown) => {
          // A refused key is the gate's to forget; here its scopes are just no longer known.
          if (live && mine === latest && e instanceof ApiError && e.status === 401) setWho(undefined);
        });
    };
    check();
    addEventListener('cb:operator', check);
    return () => {
      live = false;
      removeEventListener('cb:operator', check);
    };
  }, []);

  return <Who.Provider value={who}>{children}</Who.Provider>;
}

export function OperatorGate({ children, title }: { children: ReactNode; title: string }) {
  const [key, setKey] = useState(operatorKey());
  const [who, setWho] = useState<WhoAmI | undefined>(remembered);
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>();
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  useEffect(() => {
    const update = () => setKey(operatorKey());
    addEventListener('cb:operator', update);
    return () => removeEventListener('cb:operator', update);
  }, []);

  useEffect(() => {
    if (!key || checked) return;
    setChecked(true);
    api<WhoAmI>('/v1/whoami', { operator: true })
      .then((w) => {
        remember(w);
        setWho(w);
      })
      .catch((e: unknown) => {
        setError(e);
        if (e instanceof ApiError && e.status === 401) {
          remember(undefined);
          setWho(undefined);
          setOperatorKey(null);
        }
      });
  }, [key, checked]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setOperatorKey(draft.trim());
    try {
      const w = await api<WhoAmI>('/v1/whoami', { operator: true });
      remember(w);
      setWho(w);
      setChecked(true);
      setDraft('');
      rumFeature('operator_key');
    } catch (err) {
      setOperatorKey(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!key)
    return (
      <section>
        <h1>{title}</h1>
        <form className="card narrow" onSubmit={submit}>
          <h2>Operators' console</h2>
          <p className="muted">
            Paste an API key with the scopes you need (<code>ops:read</code>, <code>ops:write</code>,{' '}
            <code>incidents:read</code>, <code>incidents:write</code>, <code>achievements:admin</code>, or{' '}
            <code>admin</code>). It is kept in this tab only.
          </p>
          <label htmlFor={inputId}>API key</label>
          <input
            id={inputId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="cbk_…"
          />
          <div className="actions">
            <button type="submit" className="button" disabled={busy || draft.trim() === ''}>
              Use this key
            </button>
          </div>
          <ErrorNotice error={error} title="The key was refused" />
        </form>
      </section>
    );
  return (
    <>
      <div className="operator-bar small">
        {who ? (
          <span>
            Operator key <strong>{who.name}</strong> · {who.scopes.join(', ')}
          </span>
        ) : error ? (
          <ErrorNotice error={error} title="The key could not be checked" />
        ) : (
          <span className="muted">Checking the key…</span>
        )}
        <button
          type="button"
          className="button button-small button-quiet"
          onClick={() => {
            remember(undefined);
            setWho(undefined);
            setChecked(false);
            setOperatorKey(null);
          }}
        >
          Forget the key
        </button>
      </div>
      <Who.Provider value={who}>{children}</Who.Provider>
    </>
  );
}
