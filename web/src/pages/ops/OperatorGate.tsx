/**
 * Operators sign in with an API key pasted here: checked with GET /v1/whoami, kept in
 * sessionStorage for this tab only (never in a cookie or localStorage), sent as Bearer by the ops
 * pages. "Forget the key" removes it.
 */
import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { ApiError, api, operatorKey, setOperatorKey } from '../../api.ts';
import { rumFeature } from '../../rum.ts';
import { ErrorNotice, Loading } from '../../ui.tsx';

interface WhoAmI {
  id: string;
  name: string;
  scopes: string[];
}

let known: WhoAmI | undefined;

export function OperatorGate({ children, title }: { children: ReactNode; title: string }) {
  const [key, setKey] = useState(operatorKey());
  const [who, setWho] = useState<WhoAmI | undefined>(known);
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
    if (!key || who) return;
    api<WhoAmI>('/v1/whoami', { operator: true })
      .then((w) => {
        known = w;
        setWho(w);
      })
      .catch((e: unknown) => {
        setError(e);
        if (e instanceof ApiError && e.status === 401) setOperatorKey(null);
      });
  }, [key, who]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setOperatorKey(draft.trim());
    try {
      known = await api<WhoAmI>('/v1/whoami', { operator: true });
      setWho(known);
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
          <Loading what="the key" />
        )}
        <button
          type="button"
          className="button button-small button-quiet"
          onClick={() => {
            known = undefined;
            setWho(undefined);
            setOperatorKey(null);
          }}
        >
          Forget the key
        </button>
      </div>
      {children}
    </>
  );
}
