/**
 * A member's achievements (GET /v1/users/:address/achievements): unlocked ones with their badge
 * and transaction, in-progress ones with a bar and — on request — what is still missing
 * (…/:id/explain), and the ones not started. The signed-in member's by default; any address can
 * be looked at (badges are public).
 *
 * Live: the member's stream (…/achievements/stream, Server-Sent Events) reloads the list as soon as
 * an achievement unlocks or a badge's mint moves on, and says so to screen readers. While the
 * stream is down (no EventSource, refused, reconnecting) the list polls every 15 s instead.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { api } from '../api.ts';
import { isList, useApi } from '../hooks.ts';
import { type PageProps, usePageTitle } from '../page.ts';
import { Link, navigate } from '../router.tsx';
import { rumFeature } from '../rum.ts';
import { useSession } from '../session.tsx';
import {
  Address,
  BlockNumber,
  ErrorNotice,
  formatDate,
  formatNumber,
  Loaded,
  Loading,
  Pill,
  ProgressBar,
} from '../ui.tsx';

export interface MemberAchievement {
  achievementId: string;
  name: string;
  description: string;
  category: string;
  tier: string | null;
  weight: number;
  status: 'unlocked' | 'in_progress' | 'not_started';
  current: number;
  target: number;
  percent: number;
  unlockedAt: string | null;
  tokenId: string | null;
  txHash: string | null;
  mintStatus: 'pending' | 'submitted' | 'confirmed' | 'failed' | null;
  mintBlock: string | null;
  mintError: string | null;
}

interface Explanation {
  unlocked: boolean;
  missing: string[];
  prerequisites: { achievementId: string; unlocked: boolean }[];
  events: {
    id: string;
    source: string;
    type: string;
    occurredAt: string;
    counted: boolean;
    reason?: string;
  }[];
  truncated: boolean;
}

function Badge({ a }: { a: MemberAchievement }) {
  return (
    <span className={`badge tier-${a.tier ?? 'none'}`} aria-hidden="true">
      {a.name
        .split(/\s+/)
        .map((w) => w[0])
        .join('')
        .slice(0, 2)
        .toUpperCase()}
    </span>
  );
}

/** The badge's mint, as the member follows it: pending → submitted → confirmed | failed. */
function MintStatus({ a }: { a: MemberAchievement }) {
  switch (a.mintStatus) {
    case null:
      return <Pill tone="muted">Badge not requested yet</Pill>;
    case 'pending':
      return <Pill tone="info">Badge mint pending</Pill>;
    case 'submitted':
      return <Pill tone="info">Badge mint submitted, waiting for confirmations</Pill>;
    case 'confirmed':
      return <Pill tone="ok">Badge #{a.tokenId} minted</Pill>;
    case 'failed':
      return <Pill tone="bad">Badge mint failed</Pill>;
  }
}

function Explain({ address, a }: { address: string; a: MemberAchievement }) {
  const [state, setState] = useState<{ data?: Explanation; error?: unknown; loading: boolean }>({
    loading: false,
  });
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const toggle = async () => {
    const next = !open;
    setOpen(next);
    if (!next || state.data) return;
    rumFeature('explain_progress');
    setState({ loading: true });
    try {
      const data = await api<Explanation>(
        `/v1/users/${address}/achievements/${encodeURIComponent(a.achievementId)}/explain`,
        { check: (b) => Array.isArray((b as Explanation).missing) },
      );
      setState({ data, loading: false });
    } catch (error) {
      setState({ error, loading: false });
    }
  };
  return (
    <>
      <button
        type="button"
        className="button button-small button-quiet"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={toggle}
      >
        {open ? 'Hide details' : "What's missing?"}
      </button>
      <div id={panelId} hidden={!open} className="explain">
        {state.loading ? <Loading what="the explanation" /> : null}
        <ErrorNotice error={state.error} title="Could not explain this progress" />
        {state.data ? (
          <>
            {state.data.missing.length > 0 ? (
              <ul className="missing">
                {state.data.missing.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            ) : (
              <p>Nothing is missing.</p>
            )}
            {state.data.events.length > 0 ? (
              <details>
                <summary>
                  {state.data.events.filter((e) => e.counted).length} of {state.data.events.length} events
                  counted
                </summary>
                <ul className="events">
                  {state.data.events.map((e) => (
                    <li key={`${e.source}:${e.id}`}>
                      <span className={e.counted ? 'ok' : 'muted'}>{e.counted ? '✓' : '–'}</span> {e.type}{' '}
                      from {e.source}, {formatDate(e.occurredAt)}
                      {e.reason ? <span className="muted"> — {e.reason}</span> : null}
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </>
        ) : null}
      </div>
    </>
  );
}

interface StreamChange {
  achievementId: string;
  mintStatus: MemberAchievement['mintStatus'];
}

interface StreamHandlers {
  /** An unlock or a mint change; `null` on `reset` (reload everything). */
  onChange(kind: 'unlocked' | 'mint' | null, change: StreamChange | null): void;
  /** Live (again): caught up with everything since the last event seen. */
  onReady(): void;
  /** Dropped (EventSource retries by itself unless the server refused it). */
  onDown(): void;
}

/**
 * Follows the member's stream. EventSource reconnects by itself with Last-Event-ID, so nothing is
 * missed while it is down.
 */
function useMemberStream(address: string | null, handlers: StreamHandlers) {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    if (!address || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/v1/users/${address}/achievements/stream`);
    const change = (kind: 'unlocked' | 'mint') => (e: MessageEvent<string>) =>
      current.current.onChange(kind, JSON.parse(e.data) as StreamChange);
    source.addEventListener('unlocked', change('unlocked'));
    source.addEventListener('mint', change('mint'));
    source.addEventListener('reset', () => current.current.onChange(null, null));
    source.addEventListener('ready', () => current.current.onReady());
    source.onerror = () => current.current.onDown();
    return () => {
      source.close();
      current.current.onDown();
    };
  }, [address]);
}

const MINT_WORDS: Record<string, string> = {
  pending: 'badge mint pending',
  submitted: 'badge mint submitted',
  confirmed: 'badge minted',
  failed: 'badge mint failed',
};

function LookUp({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  const id = useId();
  const valid = /^0x[0-9a-fA-F]{40}$/.test(value.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) navigate(`/achievements?address=${value.trim()}`);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={id}>Look up a member</label>
      <input
        id={id}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        placeholder="0x…"
        spellCheck={false}
        autoComplete="off"
        aria-invalid={value !== '' && !valid}
      />
      <button type="submit" className="button button-small" disabled={!valid}>
        Show
      </button>
    </form>
  );
}

export default function Achievements({ query }: PageProps) {
  usePageTitle('Achievements');
  const { session } = useSession();
  const address = query.get('address') ?? session?.address ?? null;
  const own = !!session && address?.toLowerCase() === session.address.toLowerCase();
  const [live, setLive] = useState(false);
  const wasLive = useRef(false);
  const [announced, setAnnounced] = useState('');
  const list = useApi<{ items: MemberAchievement[] }>(
    address ? `/v1/users/${address}/achievements?limit=200` : null,
    {
      check: isList,
      // Read at each (re)load: live → no polling (0); the stream down → poll as before.
      pollMs: live ? 0 : 15_000,
    },
  );
  const reloadSoon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(reloadSoon.current), []);
  const { reload } = list;
  useMemberStream(address, {
    onChange(kind, change) {
      if (kind && change) {
        const name = list.data?.items.find((a) => a.achievementId === change.achievementId)?.name;
        const what = name ?? change.achievementId;
        setAnnounced(
          kind === 'unlocked'
            ? `${what} unlocked`
            : `${what}: ${MINT_WORDS[change.mintStatus ?? ''] ?? 'badge updated'}`,
        );
      }
      // A burst (catching up after a reconnect) reloads once.
      clearTimeout(reloadSoon.current);
      reloadSoon.current = setTimeout(reload, 150);
    },
    onReady() {
      // Reload once (what changed before the stream was live) and stop polling.
      wasLive.current = true;
      setLive(true);
      reload();
    },
    onDown() {
      if (!wasLive.current) return;
      // Poll again until the stream is back (the reload restarts the polling).
      wasLive.current = false;
      setLive(false);
      reload();
    },
  });

  return (
    <section>
      <h1>{own ? 'My achievements' : 'Achievements'}</h1>
      {address ? (
        <p className="muted">
          {own ? 'Signed in as' : 'Member'} <Address value={address} />{' '}
          {live ? <Pill tone="ok">Live</Pill> : null}
        </p>
      ) : session === undefined ? (
        <Loading what="your session" />
      ) : (
        <p>
          <Link to="/sign-in?next=/achievements">Sign in</Link> to see yours, or look up any member.
        </p>
      )}
      <LookUp initial={query.get('address') ?? ''} />
      <p className="sr-only" role="status" aria-live="polite">
        {announced}
      </p>
      {address ? (
        <Loaded state={list} what="achievements">
          {(data) => {
            const unlocked = data.items.filter((a) => a.status === 'unlocked');
            const progress = data.items.filter((a) => a.status === 'in_progress');
            const notStarted = data.items.filter((a) => a.status === 'not_started');
            return (
              <>
                <h2>
                  Unlocked <span className="count">{unlocked.length}</span>
                </h2>
                {unlocked.length === 0 ? <p className="muted">No badge yet.</p> : null}
                <ul className="cards">
                  {unlocked.map((a) => (
                    <li key={a.achievementId} className="card achievement unlocked">
                      <Badge a={a} />
                      <div>
                        <h3>{a.name}</h3>
                        <p>{a.description}</p>
                        <p className="small">
                          Unlocked {formatDate(a.unlockedAt)} · <MintStatus a={a} />
                        </p>
                        {a.mintStatus === 'failed' && a.mintError ? (
                          <p className="small">
                            Why: {a.mintError}. The operators see failed mints and can send them again.
                          </p>
                        ) : null}
                        {a.txHash ? (
                          <p className="small">
                            Transaction <Address value={a.txHash} />
                            {a.mintStatus === 'confirmed' && a.mintBlock ? (
                              <>
                                {' '}
                                in <BlockNumber value={a.mintBlock} />
                              </>
                            ) : null}
                          </p>
                        ) : null}
                      </div>
                    </li>
                  ))}
                </ul>
                <h2>
                  In progress <span className="count">{progress.length}</span>
                </h2>
                {progress.length === 0 ? <p className="muted">Nothing in progress.</p> : null}
                <ul className="cards">
                  {progress.map((a) => (
                    <li key={a.achievementId} className="card achievement">
                      <Badge a={a} />
                      <div>
                        <h3>{a.name}</h3>
                        <p>{a.description}</p>
                        <ProgressBar value={a.current} max={a.target} label={`${a.name} progress`} />
                        <p className="small">
                          {formatNumber(a.current)} / {formatNumber(a.target)} ({formatNumber(a.percent, 1)}{' '}
                          %)
                        </p>
                        <Explain address={address} a={a} />
                      </div>
                    </li>
                  ))}
                </ul>
                {notStarted.length > 0 ? (
                  <details className="not-started">
                    <summary>
                      Not started <span className="count">{notStarted.length}</span>
                    </summary>
                    <ul className="plain">
                      {notStarted.map((a) => (
                        <li key={a.achievementId}>
                          <strong>{a.name}</strong> — {a.description || a.category}
                        </li>
                      ))}
                    </ul>
                  </details>
                ) : null}
              </>
            );
          }}
        </Loaded>
      ) : null}
    </section>
  );
}
