/**
 * Incidents, newest first, filtered by state (GET /v1/incidents); below them the overdue action
 * items across incidents.
 */
import { isList, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link, navigate } from '../../router.tsx';
import { formatDate, Loaded, Pill } from '../../ui.tsx';
import { type Incident, SEVERITY_TONE, STATE_TONE } from './incident-types.ts';
import { OperatorGate } from './OperatorGate.tsx';
import { OverdueActions } from './OverdueActions.tsx';

const VIEWS: [string, string][] = [
  ['open', 'triggered,acknowledged'],
  ['resolved', 'resolved'],
  ['closed', 'closed'],
  ['all', ''],
];

export default function Incidents(props: PageProps) {
  usePageTitle('Incidents');
  return (
    <OperatorGate title="Incidents">
      <IncidentsBody {...props} />
    </OperatorGate>
  );
}

function IncidentsBody({ query }: PageProps) {
  const view = query.get('view') ?? 'open';
  const states = VIEWS.find(([v]) => v === view)?.[1] ?? '';
  const state = useApi<{ items: Incident[]; nextCursor: string | null }>(
    `/v1/incidents?limit=100${states ? `&state=${states}` : ''}`,
    { operator: true, check: isList, pollMs: 10_000 },
  );
  return (
    <section>
      <h1>Incidents</h1>
      <fieldset className="filters">
        <legend className="sr-only">Show</legend>
        {VIEWS.map(([v]) => (
          <button
            key={v}
            type="button"
            className="chip"
            aria-pressed={v === view}
            onClick={() => navigate(v === 'open' ? '/ops/incidents' : `/ops/incidents?view=${v}`)}
          >
            {v}
          </button>
        ))}
      </fieldset>
      <Loaded state={state} what="incidents" module="incidents">
        {(d) =>
          d.items.length === 0 ? (
            <p className="muted">No {view === 'all' ? '' : view} incident.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Incidents</caption>
                <thead>
                  <tr>
                    <th scope="col">Severity</th>
                    <th scope="col">Incident</th>
                    <th scope="col">State</th>
                    <th scope="col">Started</th>
                    <th scope="col">Escalation</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <Pill tone={SEVERITY_TONE[i.severity] ?? 'info'}>{i.severity}</Pill>
                      </td>
                      <td>
                        <Link to={`/ops/incidents/${i.id}`}>
                          #{i.id} {i.title}
                        </Link>
                      </td>
                      <td>
                        <Pill tone={STATE_TONE[i.state] ?? 'muted'}>{i.state}</Pill>
                      </td>
                      <td>{formatDate(i.startedAt)}</td>
                      <td className="small">
                        {i.state === 'triggered'
                          ? `${i.escalation.stepName}, ack by ${formatDate(i.escalation.ackDeadline)}`
                          : '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <OverdueActions />
    </section>
  );
}
