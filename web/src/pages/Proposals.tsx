/** Proposals by state (GET /v1/proposals?state=), newest first, each with its live tally. */
import { useState } from 'react';
import type { Proposal } from '../governance.ts';
import { isList, useApi } from '../hooks.ts';
import { type PageProps, usePageTitle } from '../page.ts';
import { Link, navigate } from '../router.tsx';
import { STATE_TONE, TallyView } from '../TallyView.tsx';
import { formatDate, Loaded, Pill } from '../ui.tsx';

const STATES = [
  'all',
  'active',
  'pending',
  'succeeded',
  'queued',
  'executed',
  'defeated',
  'canceled',
  'expired',
];

export default function Proposals({ query }: PageProps) {
  usePageTitle('Proposals');
  const state = query.get('state') ?? 'all';
  const [cursor, setCursor] = useState<string | null>(null);
  const path = `/v1/proposals?limit=50${state === 'all' ? '' : `&state=${state}`}${cursor ? `&cursor=${cursor}` : ''}`;
  const list = useApi<{ items: Proposal[]; nextCursor: string | null }>(path, {
    check: isList,
    pollMs: 10_000,
  });
  return (
    <section>
      <h1>Proposals</h1>
      <fieldset className="filters">
        <legend className="sr-only">Filter by state</legend>
        {STATES.map((s) => (
          <button
            key={s}
            type="button"
            className="chip"
            aria-pressed={s === state}
            onClick={() => {
              setCursor(null);
              navigate(s === 'all' ? '/proposals' : `/proposals?state=${s}`);
            }}
          >
            {s}
          </button>
        ))}
      </fieldset>
      <Loaded state={list} what="proposals" module="governance">
        {(data) => (
          <>
            {data.items.length === 0 ? (
              <p className="muted">No proposal {state === 'all' ? 'yet' : `is ${state}`}.</p>
            ) : null}
            <ul className="cards">
              {data.items.map((p) => (
                <li key={p.id} className="card proposal">
                  <h2 className="h3">
                    <Link to={`/proposals/${p.id}`}>
                      #{p.id} {p.title}
                    </Link>
                  </h2>
                  <p className="small">
                    <Pill tone={STATE_TONE[p.state] ?? 'muted'}>{p.state}</Pill> · {p.type.replace(/_/g, ' ')}{' '}
                    · voting {formatDate(p.votingStartsAt)} – {formatDate(p.votingEndsAt)}
                  </p>
                  <TallyView tally={p.tally} compact />
                </li>
              ))}
            </ul>
            {data.nextCursor ? (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => setCursor(data.nextCursor)}
              >
                Older proposals
              </button>
            ) : null}
          </>
        )}
      </Loaded>
    </section>
  );
}
