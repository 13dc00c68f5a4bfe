/**
 * The open action items past their due date, across incidents (GET /v1/incidents/actions?overdue=true,
 * oldest due first), each linking to its incident: what the monthly review looks at. Shows nothing
 * on a server without action items.
 */
import { isNotAvailable } from '../../api.ts';
import { isList, useApi } from '../../hooks.ts';
import { Link } from '../../router.tsx';
import { ErrorNotice } from '../../ui.tsx';
import { daysLate, formatDueDay } from './action-due.ts';
import type { IncidentAction } from './incident-types.ts';

const LIMIT = 20;

export function OverdueActions() {
  const state = useApi<{ items: IncidentAction[] }>(`/v1/incidents/actions?overdue=true&limit=${LIMIT}`, {
    operator: true,
    check: isList,
    pollMs: 60_000,
  });
  if (state.error && isNotAvailable(state.error)) return null;
  if (state.error && !state.data)
    return <ErrorNotice error={state.error} title="Could not load the overdue action items" />;
  if (!state.data) return null;
  const items = state.data.items;
  return (
    <section className="card overdue-actions" aria-label="Overdue action items" data-testid="overdue-actions">
      <h2>Overdue action items</h2>
      {items.length === 0 ? (
        <p className="muted">None: every open action item is within its due date.</p>
      ) : (
        <ul className="plain">
          {items.map((a) => (
            <li key={a.id}>
              <strong>{a.title}</strong>{' '}
              <span className="small">
                {a.owner ? `${a.owner} · ` : ''}
                <span className="overdue">
                  due {formatDueDay(a.dueAt)}
                  {a.dueAt ? ` (${daysLate(a.dueAt)} d late)` : ''}
                </span>{' '}
                · <Link to={`/ops/incidents/${a.incidentId}`}>incident #{a.incidentId}</Link>
              </span>
            </li>
          ))}
        </ul>
      )}
      {items.length === LIMIT ? <p className="small muted">Showing the {LIMIT} due longest ago.</p> : null}
    </section>
  );
}
