/**
 * Delegation of the member's badge power (one delegatee at a time, one hop): the current one
 * (GET /v1/delegations/:address), and a signed EIP-712 Delegation to change or revoke it.
 */
import { type FormEvent, useId, useState } from 'react';
import { delegate, ZERO_ADDRESS } from '../governance.ts';
import { useAction, useApi } from '../hooks.ts';
import { type PageProps, usePageTitle } from '../page.ts';
import { Link } from '../router.tsx';
import { rumFeature, rumGoal } from '../rum.ts';
import { useSession } from '../session.tsx';
import { ActionOutcome, Address, BlockNumber, Loaded, Loading } from '../ui.tsx';

interface Delegations {
  given: { delegatee: string; fromBlock: string; toBlock: string | null }[];
  received: { delegator: string; fromBlock: string }[];
}

export default function Delegation(_props: PageProps) {
  usePageTitle('Delegation');
  const { session, wallet } = useSession();
  const [to, setTo] = useState('');
  const action = useAction();
  const busy = action.busy !== undefined;
  const inputId = useId();
  const hintId = useId();
  const state = useApi<Delegations>(session ? `/v1/delegations/${session.address}` : null, {
    check: (b) => Array.isArray((b as Delegations).given),
  });
  const valid = /^0x[0-9a-fA-F]{40}$/.test(to.trim());

  const send = (delegatee: string) =>
    action.run('delegate', async () => {
      const r = await delegate(await wallet(), delegatee);
      rumFeature('delegate');
      rumGoal('first_delegation_after_sign_in');
      setTo('');
      state.reload();
      return r.delegatee
        ? `Delegated to ${r.delegatee} from block ${r.effectiveFromBlock}.`
        : `Delegation revoked from block ${r.effectiveFromBlock}.`;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) void send(to.trim());
  };

  if (session === undefined) return <Loading what="your session" />;
  return (
    <section>
      <h1>Delegation</h1>
      {!session ? (
        <p>
          <Link to="/sign-in?next=/delegation">Sign in</Link> to delegate your voting power.
        </p>
      ) : (
        <Loaded state={state} what="delegations" module="governance">
          {(d) => {
            const current = d.given.find((g) => g.toBlock === null && g.delegatee !== ZERO_ADDRESS);
            return (
              <>
                <div className="card">
                  <h2>Your power</h2>
                  {current ? (
                    <p>
                      Delegated to <Address value={current.delegatee} /> since{' '}
                      <BlockNumber value={current.fromBlock} />.
                    </p>
                  ) : (
                    <p>You vote with your own power (no delegation).</p>
                  )}
                  {current ? (
                    <button
                      type="button"
                      className="button button-quiet"
                      disabled={busy}
                      onClick={() => send(ZERO_ADDRESS)}
                    >
                      Revoke the delegation
                    </button>
                  ) : null}
                </div>
                <form className="card" onSubmit={submit} aria-busy={busy}>
                  <h2>Delegate to another member</h2>
                  <label htmlFor={inputId}>Delegatee address</label>
                  <input
                    id={inputId}
                    value={to}
                    onChange={(e) => setTo(e.target.value)}
                    placeholder="0x…"
                    spellCheck={false}
                    autoComplete="off"
                    aria-invalid={to !== '' && !valid}
                    aria-describedby={hintId}
                  />
                  <p id={hintId} className="small muted">
                    All of your own badge power, from the next block; the delegatee cannot pass it on.
                  </p>
                  <div className="actions">
                    <button type="submit" className="button" disabled={busy || !valid}>
                      {busy ? 'Signing…' : 'Sign and delegate'}
                    </button>
                  </div>
                </form>
                <ActionOutcome state={action} refused="The delegation failed" />
                <h2>Delegating to you</h2>
                {d.received.length === 0 ? <p className="muted">Nobody.</p> : null}
                <ul className="plain">
                  {d.received.map((r) => (
                    <li key={r.delegator}>
                      <Address value={r.delegator} /> since <BlockNumber value={r.fromBlock} />
                    </li>
                  ))}
                </ul>
              </>
            );
          }}
        </Loaded>
      )}
    </section>
  );
}
