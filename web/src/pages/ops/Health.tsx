/**
 * System health: each dependency's state and this instance's key metrics against the seed's
 * thresholds, coloured by status (GET /v1/ops/health, refreshed every 10 s); below them the
 * slow-query log of every instance (SlowQueries.tsx).
 */
import { useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { formatDate, Loaded, Pill } from '../../ui.tsx';
import { formatValue, type HealthItem, type HealthReport, isHealth, STATUS_TEXT } from './health-types.ts';
import { OperatorGate } from './OperatorGate.tsx';
import { SlowQueries } from './SlowQueries.tsx';

const GROUPS: [string, string][] = [
  // What the API figures count (health-summary.ts): the alert rules' requests, probes aside.
  ['api', 'API — every route but the probes (/healthz, /readyz, /metrics), as the alerts count'],
  ['frontend', 'User experience (browsers)'],
  ['events', 'Achievements'],
  ['jobs', 'Jobs and queues'],
  ['chain', 'Chain'],
  ['database', 'Database'],
  ['cache', 'Cache'],
  ['host', 'Host'],
  ['incidents', 'Incidents'],
];

const TONE = { ok: 'ok', warn: 'warn', breach: 'bad', no_data: 'muted' } as const;

function threshold(i: HealthItem): string {
  if (i.threshold === null) return 'baseline';
  return `${i.direction === 'min' ? '≥' : '≤'} ${formatValue(i.threshold, i.unit)}`;
}

export function HealthTable({ items, caption }: { items: HealthItem[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="health">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className="num">
              Now
            </th>
            <th scope="col" className="num">
              Limit
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} className={`status-${i.status}`} data-metric={i.id}>
              <th scope="row">
                {i.label}
                <span className="seed small muted">{i.seed}</span>
              </th>
              <td className="num">{formatValue(i.value, i.unit)}</td>
              <td className="num">{threshold(i)}</td>
              <td>
                <Pill tone={TONE[i.status]}>{STATUS_TEXT[i.status]}</Pill>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Health(_props: PageProps) {
  usePageTitle('System health');
  return (
    <OperatorGate title="System health">
      <HealthBody />
    </OperatorGate>
  );
}

function HealthBody() {
  const state = useApi<HealthReport>('/v1/ops/health', { operator: true, check: isHealth, pollMs: 10_000 });
  return (
    <section>
      <h1>System health</h1>
      <Loaded state={state} what="health">
        {(r) => (
          <>
            <p className={`overall overall-${r.status}`} role="status">
              {r.status === 'ok'
                ? 'All within limits'
                : r.status === 'warn'
                  ? 'Some figures near their limits'
                  : 'Limits exceeded'}
              <span className="small muted">
                {' '}
                · this instance, last {Math.round(r.windowSeconds / 60) || '<1'} min ·{' '}
                {formatDate(r.generatedAt)}
              </span>
            </p>
            <h2>Dependencies</h2>
            <ul className="deps">
              {Object.entries(r.dependencies).map(([name, up]) => (
                <li key={name} className={`dep dep-${up}`}>
                  <strong>{name}</strong> <Pill tone={up === 'up' ? 'ok' : 'bad'}>{up}</Pill>
                  {r.dependencyErrors[name] ? (
                    <span className="small"> {r.dependencyErrors[name]}</span>
                  ) : null}
                </li>
              ))}
            </ul>
            {GROUPS.map(([group, title]) => {
              const items = r.items.filter((i) => i.group === group);
              return items.length === 0 ? null : <HealthTable key={group} items={items} caption={title} />;
            })}
            {/* Below the figures once they are in: nothing above it moves when either loads. */}
            <SlowQueries />
          </>
        )}
      </Loaded>
    </section>
  );
}
