/** Sign in with a wallet: the browser's (when it has one) or, in dev mode, a dev-chain account. */
import { useId, useState } from 'react';
import { navigate } from './router.tsx';
import { useSession, type WalletChoice } from './session.tsx';
import { Address, ErrorNotice, Loading } from './ui.tsx';

export function SignInPanel({ next }: { next?: string | undefined }) {
  const { config, configError, session, signIn } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [devIndex, setDevIndex] = useState(0);
  const selectId = useId();
  const hasInjected = typeof (globalThis as { ethereum?: unknown }).ethereum !== 'undefined';

  if (configError)
    return <ErrorNotice error={configError} title="The console settings could not be loaded" />;
  if (!config || session === undefined) return <Loading what="sign-in options" />;
  if (session)
    return (
      <p>
        You are signed in as <Address value={session.address} />.
      </p>
    );

  const run = async (choice: WalletChoice) => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn(choice);
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/achievements');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card sign-in" aria-busy={busy}>
      <h2>Sign in with your wallet</h2>
      <p className="muted">
        Your wallet signs a Sign-In with Ethereum message (no transaction, no fee). The console then keeps a
        session cookie for 24 hours.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={busy || !hasInjected}
          onClick={() => run({ kind: 'injected' })}
        >
          Connect browser wallet
        </button>
        {!hasInjected ? (
          <span className="small muted">No browser wallet detected in this browser.</span>
        ) : null}
      </div>
      {config.devMode && config.devAccounts.length > 0 ? (
        <fieldset className="dev-wallet">
          <legend>Dev wallet (local dev chain only)</legend>
          <p className="small muted">
            Well-known test accounts of the dev chain. The page signs with their public keys: never use them
            on a real network.
          </p>
          <label htmlFor={selectId}>Account</label>
          <div className="actions">
            <select id={selectId} value={devIndex} onChange={(e) => setDevIndex(Number(e.target.value))}>
              {config.devAccounts.map((a, i) => (
                <option key={a.address} value={i}>
                  {a.label} — {a.address.slice(0, 6)}…{a.address.slice(-4)}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => run({ kind: 'dev', account: config.devAccounts[devIndex]! })}
            >
              Sign in with dev account
            </button>
          </div>
        </fieldset>
      ) : null}
      {busy ? <p role="status">Waiting for the signature…</p> : null}
      <ErrorNotice error={error} title="Sign-in failed" />
    </div>
  );
}
