/**
 * The log files of CB_LOG_DIR searched (GET /v1/ops/logs, /v1/ops/logs/errors, scope ops:read;
 * seed 4.4): the newest lines matching the filters, or the errors grouped by message shape. The
 * filters live in the URL (`?view=errors&since=1h&level=&service=&q=&trace=`), so a search can be
 * shared; a trace id opens every line of its trace (a request and all the work it caused).
 * `cb logs search|errors` does the same from a shell.
 */
import { type FormEvent, Fragment, type ReactNode, useId, useState } from 'react';
import type { ErrorCluster, LogEntry, ReadStats } from '../../../../src/platform/logs/log-shape.ts';
import { isList, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { navigate } from '../../router.tsx';
import { formatDate, Loaded, Pill } from '../../ui.tsx';
import { OperatorGate } from './OperatorGate.tsx';

// 30 days reaches the warm tier (CB_LOG_ARCHIVE_DIR) with the default retention: docs/logging.md.
const WINDOWS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
const LEVEL_TONE: Record<string, string> = { WARN: 'warn', ERROR: 'bad', FATAL: 'bad', INFO: 'ok' };

interface Filters {
  view: 'lines' | 'errors';
  since: (typeof WINDOWS)[number];
  level: (typeof LEVELS)[number] | '';
  service: string;
  q: string;
  trace: string;
}

interface Answer<T> {
  items: T[];
  stats: ReadStats;
  partial: { skippedFiles: number } | null;
  groups?: number;
}

function filtersOf(query: URLSearchParams): Filters {
  const pick = <T extends string>(value: string | null, allowed: readonly T[], fallback: T | ''): T | '' =>
    value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
  const trace = (query.get('trace') ?? '').trim().toLowerCase();
  return {
    view: query.get('view') === 'errors' ? 'errors' : 'lines',
    since: (pick(query.get('since'), WINDOWS, '1h') || '1h') as Filters['since'],
    level: pick(query.get('level'), LEVELS, ''),
    service: (query.get('service') ?? '').trim().slice(0, 400),
    q: (query.get('q') ?? '').trim().slice(0, 200),
    trace: /^[0-9a-f]{32}$/.test(trace) ? trace : '',
  };
}

/** The page's URL, or (`api`) the API's query, for these filters. */
function queryOf(f: Filters, api = false): string {
  const q = new URLSearchParams();
  if (!api && f.view === 'errors') q.set('view', 'errors');
  if (api || f.since !== '1h') q.set('since', f.since);
  if (f.level) q.set('level', f.level);
  if (f.service) q.set('service', f.service);
  if (f.q) q.set('q', f.q);
  if (f.trace) q.set('trace', f.trace);
  return q.toString();
}

const pathOf = (f: Filters) => {
  const q = queryOf(f);
  return q ? `/ops/logs?${q}` : '/ops/logs';
};

export default function Logs(props: PageProps) {
  usePageTitle('Logs');
  return (
    <OperatorGate title="Logs">
      <LogsBody {...props} />
    </OperatorGate>
  );
}

function LogsBody({ query }: PageProps) {
  const filters = filtersOf(query);
  const show = (change: Partial<Filters>) => navigate(pathOf({ ...filters, ...change }));
  // A trace's every line: the other filters would hide some of it.
  const showTrace = (trace: string) => show({ view: 'lines', trace, level: '', service: '', q: '' });
  return (
    <section>
      <h1>Logs</h1>
      <p className="muted">
        The log lines every instance writes to <code>CB_LOG_DIR</code>, newest last. A trace id shows every
        line of its trace: the request and all the work it caused. From a shell: <code>cb logs search</code>,{' '}
        <code>cb logs errors</code>.
      </p>
      <div className="tabs" role="tablist" aria-label="View">
        {(['lines', 'errors'] as const).map((view) => (
          <button
            key={view}
            type="button"
            role="tab"
            aria-selected={filters.view === view}
            className={`button button-small${filters.view === view ? '' : ' button-quiet'}`}
            onClick={() => show({ view })}
          >
            {view === 'lines' ? 'Lines' : 'Error groups'}
          </button>
        ))}
      </div>
      <FilterForm key={pathOf(filters)} filters={filters} />
      {/* Keyed per view: switching mounts the other, so no answer is drawn by the wrong table. */}
      {filters.view === 'errors' ? (
        <LogResults<ErrorCluster>
          key="errors"
          api="/v1/ops/logs/errors"
          filters={filters}
          empty="No error in this window."
          render={(items) => <ErrorTable items={items} onTrace={showTrace} />}
        />
      ) : (
        <LogResults<LogEntry>
          key="lines"
          api="/v1/ops/logs"
          filters={filters}
          empty="No line matches these filters."
          render={(items) => <LineTable items={items} onTrace={showTrace} />}
        />
      )}
    </section>
  );
}

function LogResults<T>(props: {
  api: string;
  filters: Filters;
  empty: string;
  render: (items: T[]) => ReactNode;
}) {
  const state = useApi<Answer<T>>(`${props.api}?${queryOf(props.filters, true)}`, {
    operator: true,
    check: isList,
  });
  return (
    <Loaded state={state} what="the logs">
      {(d) => (
        <>
          <p className="small muted" role="status" data-testid="logs-stats">
            {d.stats.matched} of {d.stats.lines} line(s) matched in {d.stats.files} file(s)
            {d.stats.archivedFiles > 0 ? ` (${d.stats.archivedFiles} from the archive)` : ''}
            {d.stats.skipped > 0 ? ` · ${d.stats.skipped} line(s) not cb's JSON skipped` : ''}
            {d.stats.coldNotSearched
              ? ` · days before ${d.stats.coldNotSearched.before} are only in the cold tier, not searched`
              : ''}
            {props.filters.view === 'lines' && d.stats.matched > d.items.length
              ? ` · the newest ${d.items.length} shown`
              : ''}
          </p>
          {d.partial ? (
            <p className="notice notice-info small">
              Only the newest files were read: {d.partial.skippedFiles} older file(s) left out. Narrow the
              window to search them.
            </p>
          ) : null}
          {d.items.length === 0 ? (
            <p className="muted" data-testid="logs-empty">
              {props.empty}
            </p>
          ) : (
            props.render(d.items)
          )}
        </>
      )}
    </Loaded>
  );
}

function FilterForm({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState(filters);
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(
      pathOf({ ...draft, service: draft.service.trim(), q: draft.q.trim(), trace: draft.trace.trim() }),
    );
  };
  const text = (key: 'service' | 'q' | 'trace', label: string, placeholder: string, max: number) => (
    <div>
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        value={draft[key]}
        maxLength={max}
        spellCheck={false}
        placeholder={placeholder}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );
  return (
    <form className="audit-filters" onSubmit={submit} aria-label="Filter the logs">
      <div>
        <label htmlFor={`${id}-since`}>Since</label>
        <select
          id={`${id}-since`}
          value={draft.since}
          onChange={(e) => setDraft({ ...draft, since: e.target.value as Filters['since'] })}
        >
          {WINDOWS.map((w) => (
            <option key={w} value={w}>
              last {w}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-level`}>Lowest level</label>
        <select
          id={`${id}-level`}
          value={draft.level}
          onChange={(e) => setDraft({ ...draft, level: e.target.value as Filters['level'] })}
        >
          <option value="">{draft.view === 'errors' ? 'error' : 'any'}</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </div>
      {text('service', 'Services', 'api, minter', 400)}
      {text('q', 'Words', 'slow query', 200)}
      {text('trace', 'Trace', '32 hex digits', 32)}
      <div className="actions">
        <button type="submit" className="button">
          Search
        </button>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => navigate(filters.view === 'errors' ? '/ops/logs?view=errors' : '/ops/logs')}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function TraceButton({ trace, onTrace }: { trace: string | null | undefined; onTrace: (t: string) => void }) {
  if (!trace) return null;
  return (
    <button
      type="button"
      className="button button-small button-quiet"
      title="Every line of this trace"
      aria-label={`Every line of trace ${trace}`}
      onClick={() => onTrace(trace)}
    >
      trace {trace.slice(0, 8)}…
    </button>
  );
}

function LineTable({ items, onTrace }: { items: LogEntry[]; onTrace: (t: string) => void }) {
  const [open, setOpen] = useState<number>();
  return (
    <div className="table-wrap">
      <table className="logs">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Service</th>
            <th scope="col">Message</th>
            <th scope="col">Trace</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; the list is replaced whole
            <Fragment key={i}>
              <tr data-level={e.level}>
                <td className="small">{e.timestamp.replace('T', ' ').slice(0, 23)}</td>
                <td>
                  <Pill tone={LEVEL_TONE[e.level] ?? 'muted'}>{e.level}</Pill>
                </td>
                <td className="small">
                  {e.service}
                  {e.instance ? <span className="muted"> · {e.instance}</span> : null}
                </td>
                <td>
                  <button
                    type="button"
                    className="link-button"
                    aria-expanded={open === i}
                    onClick={() => setOpen(open === i ? undefined : i)}
                  >
                    {e.message}
                  </button>
                </td>
                <td>
                  <TraceButton trace={e.traceId} onTrace={onTrace} />
                </td>
              </tr>
              {open === i ? (
                <tr className="log-details">
                  <td colSpan={5}>
                    <pre>
                      {JSON.stringify({ userId: e.userId, context: e.context, metrics: e.metrics }, null, 2)}
                    </pre>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ErrorTable({ items, onTrace }: { items: ErrorCluster[]; onTrace: (t: string) => void }) {
  return (
    <div className="table-wrap">
      <table className="logs">
        <thead>
          <tr>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Service · code</th>
            <th scope="col">Message</th>
            <th scope="col">Last seen</th>
            <th scope="col">Latest trace</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={`${c.service}|${c.message}|${c.code}`} data-level={c.level}>
              <td className="num">{c.count}</td>
              <td className="small">
                {c.service}
                {c.code ? <code> {c.code}</code> : null}
              </td>
              <td>
                {c.message}
                {c.sample !== c.message ? <div className="small muted">{c.sample}</div> : null}
              </td>
              <td className="small">
                {formatDate(c.lastSeen)}
                <div className="muted">{c.instances.join(', ')}</div>
              </td>
              <td>
                <TraceButton trace={c.lastTraceId} onTrace={onTrace} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
