/**
 * The slow-query log on the Health page (GET /v1/ops/db/slow-queries, ops:read; seed 6.1
 * 定期分析慢查询日志): statement shapes by total time over the chosen window, each with its calls
 * in the window before, so a new or rising shape stands out. `cb db slow-queries` prints the same.
 */
import { useState } from 'react';
import type { SlowQueryReport, SlowQueryShape } from '../../../../src/platform/db/slow-query-shape.ts';
import { useApi } from '../../hooks.ts';
import { formatDate, Loaded, Pill } from '../../ui.tsx';

const WINDOWS = [
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
] as const;

type Window = (typeof WINDOWS)[number][0];

const isReport = (v: unknown): v is SlowQueryReport =>
  typeof v === 'object' && v !== null && Array.isArray((v as SlowQueryReport).items);

const ms = (n: number) =>
  n < 1000 ? `${Math.round(n)} ms` : n < 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n / 1000)} s`;

/** Calls now against the window before: new, rising (at least twice), or the count before. */
function Trend({ q }: { q: SlowQueryShape }) {
  if (q.previousCalls === 0) return <Pill tone="warn">new</Pill>;
  if (q.calls >= 2 * q.previousCalls) return <Pill tone="warn">rising · {q.previousCalls} before</Pill>;
  return <span className="small muted">{q.previousCalls} before</span>;
}

export function SlowQueries() {
  const [window, setWindow] = useState<Window>('24h');
  const state = useApi<SlowQueryReport>(`/v1/ops/db/slow-queries?since=${window}&limit=20`, {
    operator: true,
    check: isReport,
    pollMs: 60_000,
  });
  return (
    <section aria-labelledby="slow-queries-title">
      <h2 id="slow-queries-title">Slow queries</h2>
      <p className="small muted">
        Statements slower than the threshold, by shape (literals as ?), from every instance; the same report:{' '}
        <code>cb db slow-queries</code>.{' '}
        <label>
          Window{' '}
          <select value={window} onChange={(e) => setWindow(e.target.value as Window)}>
            {WINDOWS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </p>
      <Loaded state={state} what="slow queries">
        {(r) => (
          <>
            <p role="status" data-testid="slow-queries-summary">
              {r.calls} slow statement(s) in {ms(r.totalMs)} over {r.shapes} shape(s) · the window before:{' '}
              {r.previous.calls} in {ms(r.previous.totalMs)}
            </p>
            {r.items.length === 0 ? null : (
              <div className="table-wrap">
                <table className="slow-queries">
                  <thead>
                    <tr>
                      <th scope="col">Statement</th>
                      <th scope="col" className="num">
                        Share
                      </th>
                      <th scope="col" className="num">
                        Total
                      </th>
                      <th scope="col" className="num">
                        Calls
                      </th>
                      <th scope="col" className="num">
                        Mean / max
                      </th>
                      <th scope="col">Last</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.items.map((q) => (
                      <tr key={q.fingerprint} data-fingerprint={q.fingerprint}>
                        <th scope="row">
                          <code className="statement">{q.statement}</code>
                        </th>
                        <td className="num">{Math.round(q.share * 100)} %</td>
                        <td className="num">{ms(q.totalMs)}</td>
                        <td className="num">
                          {q.calls} <Trend q={q} />
                        </td>
                        <td className="num">
                          {ms(q.meanMs)} / {ms(q.maxMs)}
                        </td>
                        <td className="small">
                          {formatDate(q.lastSeen)}
                          {q.lastInstance ? ` · ${q.lastInstance}` : ''}
                          {q.lastTraceId ? (
                            <>
                              <br />
                              trace <code>{q.lastTraceId}</code>
                            </>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
