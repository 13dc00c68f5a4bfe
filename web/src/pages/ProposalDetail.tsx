/**
 * One proposal (GET /v1/proposals/:id?voter=) with its tally polled every 3 s while it can still
 * change, the member's vote, and the ballot form: the member's wallet signs an EIP-712 Ballot,
 * posted to POST /v1/proposals/:id/votes.
 */
import { type FormEvent, useId, useState } from 'react';
import { ApiError } from '../api.ts';
import { castBallot, type Proposal, type Support } from '../governance.ts';
import { useAction, useApi } from '../hooks.ts';
import { Markdown } from '../markdown-view.tsx';
import { type PageProps, usePageTitle } from '../page.ts';
import { Link } from '../router.tsx';
import { rumFeature, rumGoal } from '../rum.ts';
import { useSession } from '../session.tsx';
import { STATE_TONE, TallyView } from '../TallyView.tsx';
import { ActionOutcome, Address, BlockNumber, formatDate, formatNumber, Loaded, Pill } from '../ui.tsx';
import { ProposalExecution } from './ProposalExecution.tsx';

const LIVE = new Set(['pending', 'active', 'succeeded', 'queued']);

function VoteForm({ proposal, onVoted }: { proposal: Proposal; onVoted: () => void }) {
  const { wallet } = useSession();
  const [support, setSupport] = useState<Support>('for');
  const [reason, setReason] = useState('');
  const action = useAction();
  const busy = action.busy !== undefined;
  const reasonId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run('vote', async () => {
      const w = await wallet();
      const r = await castBallot(w, proposal.id, support, reason.trim());
      rumFeature('vote');
      rumGoal('first_vote_after_sign_in');
      onVoted();
      return `Your ballot (${support}, weight ${formatNumber(r.weight)}) was accepted.`;
    });
  };

  return (
    <form className="card vote-form" onSubmit={submit} aria-busy={busy}>
      <fieldset>
        <legend>Your vote</legend>
        <div className="radios">
          {(['for', 'against', 'abstain'] as const).map((s) => (
            <label key={s} className={`radio radio-${s}`}>
              <input
                type="radio"
                name="support"
                value={s}
                checked={support === s}
                onChange={() => setSupport(s)}
              />
              {s[0]!.toUpperCase() + s.slice(1)}
            </label>
          ))}
        </div>
      </fieldset>
      <label htmlFor={reasonId}>Reason (optional, public)</label>
      <textarea
        id={reasonId}
        value={reason}
        maxLength={5000}
        rows={3}
        onChange={(e) => setReason(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Signing…' : 'Sign and vote'}
        </button>
      </div>
      <ActionOutcome
        state={action}
        refused={action.error instanceof ApiError ? 'The vote was refused' : 'The vote could not be signed'}
      />
    </form>
  );
}

export default function ProposalDetail({ params }: PageProps) {
  const { session } = useSession();
  const id = params.id ?? '';
  const voter = session?.address;
  const state = useApi<Proposal>(`/v1/proposals/${encodeURIComponent(id)}${voter ? `?voter=${voter}` : ''}`, {
    check: (b) => typeof (b as Proposal).tally === 'object',
    pollMs: 3000,
  });
  usePageTitle(state.data ? `#${id} ${state.data.title}` : `Proposal #${id}`);
  return (
    <section>
      <p className="small">
        <Link to="/proposals">← All proposals</Link>
      </p>
      <Loaded state={state} what="the proposal" module="governance">
        {(p) => (
          <>
            <h1>
              #{p.id} {p.title}
            </h1>
            <p className="small">
              <Pill tone={STATE_TONE[p.state] ?? 'muted'}>{p.state}</Pill> · {p.type.replace(/_/g, ' ')} ·
              proposed by <Address value={p.proposer} /> · snapshot <BlockNumber value={p.snapshotBlock} />
            </p>
            <div className="grid-2">
              <div>
                <h2>Tally {LIVE.has(p.state) ? <span className="live">live</span> : null}</h2>
                <TallyView tally={p.tally} />
                <p className="small muted">
                  Total power at the snapshot {formatNumber(p.totalPower)} · quorum{' '}
                  {formatNumber(Number(p.settings.quorum) * 100)} % · approval{' '}
                  {formatNumber(Number(p.settings.approvalThreshold) * 100)} % · voting{' '}
                  {formatDate(p.votingStartsAt)} – {formatDate(p.votingEndsAt)}
                </p>
              </div>
              <div>
                {p.vote ? (
                  <p className="notice notice-ok">
                    You voted <strong>{p.vote.support}</strong> with power {formatNumber(p.vote.weight)} on{' '}
                    {formatDate(p.vote.votedAt)}
                    {p.vote.reason ? ` — “${p.vote.reason}”` : ''}.
                  </p>
                ) : null}
                {p.state === 'active' && session && (!p.vote || p.settings.allowVoteChange) ? (
                  <VoteForm proposal={p} onVoted={state.reload} />
                ) : null}
                {p.state === 'active' && !session ? (
                  <p>
                    <Link to={`/sign-in?next=/proposals/${p.id}`}>Sign in</Link> to vote.
                  </p>
                ) : null}
                {p.state !== 'active' ? (
                  <p className="muted">Voting is {p.state === 'pending' ? 'not open yet' : 'closed'}.</p>
                ) : null}
              </div>
            </div>
            {p.body ? (
              <>
                <h2>Proposal</h2>
                <Markdown source={p.body} />
              </>
            ) : null}
            {p.transitions && p.transitions.length > 0 ? (
              <>
                <h2>History</h2>
                <ol className="timeline">
                  {p.transitions.map((t) => (
                    <li key={`${t.at}:${t.to}`}>
                      <time dateTime={t.at}>{formatDate(t.at)}</time> {t.from ? `${t.from} → ` : ''}
                      <strong>{t.to}</strong> <span className="muted">by {t.actor}</span>
                      {t.reason ? ` — ${t.reason}` : ''}
                    </li>
                  ))}
                </ol>
              </>
            ) : null}
            <ProposalExecution proposal={p} onChanged={state.reload} />
          </>
        )}
      </Loaded>
    </section>
  );
}
