/**
 * The audit trail of administrative operations (GET /v1/ops/audit, scope ops:read; seed 7.3),
 * newest first: who did what, on what, and how it ended. The filters and the page live in the URL
 * (`?actor=&action=&outcome=&before=`), so a filtered view can be shared and Back returns to the
 * newer page. Each record opens to its redacted details, trace and chain links. Verifying the chain
 * stays on the command line (`cb audit verify`): it reads every record.
 */
import { type FormEvent, Fragment, useId, useState } from 'react';
import type {
  AuditOutcomeShape,
  AuditPageShape,
  AuditRecordShape,
} from '../../../../src/ops/audit/audit-shape.ts';
import { isList, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link, navigate } from '../../router.tsx';
import { formatDate, Loaded, Pill } from '../../ui.tsx';
import { OperatorGate } from './OperatorGate.tsx';

/** Records per page (the API's default; it allows up to 500). */
const PAGE_SIZE = 50;

const OUTCOMES: readonly AuditOutcomeShape[] = ['ok', 'failed', 'refused'];

const OUTCOME_TONE: Record<AuditOutcomeShape, string> = { ok: 'ok', failed: 'bad', refused: 'warn' };

const ACTOR_KIND: Record<AuditRecordShape['actorKind'], string> = {
  api_key: 'API key',
  cli: 'cb command',
  system: 'cb itself',
};

/** The filters a URL asks for, each dropped when the API would refuse it. */
interface Filters {
  actor: string;
  action: string;
  outcome: AuditOutcomeShape | '';
}

function filtersOf(query: URLSearchParams): Filters {
  const outcome = query.get('outcome') ?? '';
  return {
    actor: (query.get('actor') ?? '').trim().slice(0, 200),
    action: (query.get('action') ?? '').trim().slice(0, 200),
    outcome: (OUTCOMES as readonly string[]).includes(outcome) ? (outcome as AuditOutcomeShape) : '',
  };
}

/** The console path of a view of the trail (an empty filter is left out). */
function pathOf(filters: Filters, before?: string): string {
  const q = new URLSearchParams();
  if (filters.actor) q.set('actor', filters.actor);
  if (filters.action) q.set('action', filters.action);
  if (filters.outcome) q.set('outcome', filters.outcome);
  if (before) q.set('before', before);
  const s = q.toString();
  return s ? `/ops/audit?${s}` : '/ops/audit';
}

export default function Audit(props: PageProps) {
  usePageTitle('Audit trail');
  return (
    <OperatorGate title="Audit trail">
      <AuditBody {...props} />
    </OperatorGate>
  );
}

function AuditBody({ query }: PageProps) {
  const filters = filtersOf(query);
  const rawBefore = query.get('before') ?? '';
  const before = /^[0-9]{1,18}$/.test(rawBefore) ? rawBefore : undefined;
  const filtered = filters.actor !== '' || filters.action !== '' || filters.outcome !== '';

  const api = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.actor) api.set('actor', filters.actor);
  if (filters.action) api.set('action', filters.action);
  if (filters.outcome) api.set('outcome', filters.outcome);
  if (before) api.set('before', before);
  // The newest page follows new records; an older page stays still while it is read.
  const state = useApi<AuditPageShape>(`/v1/ops/audit?${api}`, {
    operator: true,
    check: isList,
    ...(before ? {} : { pollMs: 15_000 }),
  });

  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted" data-testid="audit-about">
        Every administrative change is recorded here, newest first: API requests made with a privileged key
        (refused ones too) and the <code>cb</code> commands that change the database. The trail is append-only
        and hash-chained — each record's hash covers the record before it — and <code>cb audit verify</code>{' '}
        checks the whole chain.
      </p>
      {/* Keyed by the URL's filters: Back and Forward show their own values in the fields. */}
      <FilterForm key={pathOf(filters)} filters={filters} />
      {before ? (
        <p className="small">
          Records before #{before}. <Link to={pathOf(filters)}>Back to the newest</Link>
        </p>
      ) : null}
      <Loaded state={state} what="the audit trail" module="audit">
        {(d) =>
          d.items.length === 0 ? (
            <p className="muted" data-testid="audit-empty">
              {before
                ? 'No older record.'
                : filtered
                  ? 'No record matches these filters.'
                  : 'No record yet: the first administrative change will appear here.'}
            </p>
          ) : (
            <>
              <AuditTable items={d.items} />
              {d.nextBefore ? (
                <div className="actions">
                  <button
                    type="button"
                    className="button button-quiet"
                    onClick={() => navigate(pathOf(filters, d.nextBefore ?? undefined))}
                  >
                    Older
                  </button>
                </div>
              ) : (
                <p className="small muted">End of the trail{filtered ? ' for these filters' : ''}.</p>
              )}
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function FilterForm({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState(filters);
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(pathOf({ ...draft, actor: draft.actor.trim(), action: draft.action.trim() }));
  };
  return (
    <form className="audit-filters" onSubmit={submit} aria-label="Filter the audit trail">
      <div>
        <label htmlFor={`${id}-actor`}>Actor</label>
        <input
          id={`${id}-actor`}
          value={draft.actor}
          maxLength={200}
          spellCheck={false}
          placeholder="key name or user@host"
          onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor={`${id}-action`}>Action contains</label>
        <input
          id={`${id}-action`}
          value={draft.action}
          maxLength={200}
          spellCheck={false}
          placeholder="achievements, POST, cb apikey"
          onChange={(e) => setDraft({ ...draft, action: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor={`${id}-outcome`}>Outcome</label>
        <select
          id={`${id}-outcome`}
          value={draft.outcome}
          onChange={(e) => setDraft({ ...draft, outcome: e.target.value as Filters['outcome'] })}
        >
          <option value="">any</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button type="submit" className="button">
          Show
        </button>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => navigate('/ops/audit')}
          disabled={!filters.actor && !filters.action && !filters.outcome}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function AuditTable({ items }: { items: AuditRecordShape[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (seq: string) =>
    setOpen((o) => {
      const next = new Set(o);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });
  return (
    <div className="table-wrap">
      <table data-testid="audit">
        <caption className="sr-only">Audit records, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Status
            </th>
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => {
            const expanded = open.has(r.seq);
            const detailsId = `audit-record-${r.seq}`;
            return (
              <Fragment key={r.seq}>
                <tr className="audit-row" data-seq={r.seq} data-outcome={r.outcome}>
                  <td>
                    <time dateTime={r.at} title={r.at}>
                      {formatDate(r.at)}
                    </time>
                  </td>
                  <td>
                    {r.actor}
                    <span className="small muted audit-kind">{ACTOR_KIND[r.actorKind]}</span>
                  </td>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td>{r.target ? <code>{r.target}</code> : '—'}</td>
                  <td>
                    <Pill tone={OUTCOME_TONE[r.outcome]}>{r.outcome}</Pill>
                  </td>
                  <td className="num">{r.status ?? '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      aria-expanded={expanded}
                      aria-controls={detailsId}
                      onClick={() => toggle(r.seq)}
                    >
                      {expanded ? 'Hide' : 'Details'}
                      <span className="sr-only"> of record #{r.seq}</span>
                    </button>
                  </td>
                </tr>
                {expanded ? (
                  <tr id={detailsId} className="audit-details">
                    <td colSpan={7}>
                      <RecordDetails r={r} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RecordDetails({ r }: { r: AuditRecordShape }) {
  return (
    <>
      <dl className="facts">
        <dt>Record</dt>
        <dd>#{r.seq}</dd>
        <dt>At</dt>
        <dd>
          <code>{r.at}</code>
        </dd>
        <dt>Request</dt>
        <dd>{r.requestId ? <code>{r.requestId}</code> : '—'}</dd>
        <dt>Trace</dt>
        <dd>{r.traceId ? <code>{r.traceId}</code> : '—'}</dd>
        <dt>Hash</dt>
        <dd>
          <code className="audit-hash">{r.hash}</code>
        </dd>
        <dt>Previous hash</dt>
        <dd>
          <code className="audit-hash">{r.prevHash}</code>
        </dd>
      </dl>
      {Object.keys(r.details).length === 0 ? (
        <p className="small muted">No query, body or options recorded.</p>
      ) : (
        <>
          <p className="small muted">As recorded, secrets redacted:</p>
          <pre>{JSON.stringify(r.details, null, 2)}</pre>
        </>
      )}
    </>
  );
}
