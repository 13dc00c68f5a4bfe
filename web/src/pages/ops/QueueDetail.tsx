/**
 * A queue's dead-lettered jobs (GET /v1/ops/queues/:queue/dead-letters) with their payload, last
 * error and trace, and a retry of each (POST …/:id/retry, scope ops:write: hidden without it).
 */
import { api } from '../../api.ts';
import { isList, useAction, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link } from '../../router.tsx';
import { rumFeature } from '../../rum.ts';
import { ActionButton, ActionOutcome, formatDate, Loaded } from '../../ui.tsx';
import { NeedsScope } from './NeedsScope.tsx';
import { OperatorGate, useOperatorMay } from './OperatorGate.tsx';

interface DeadLetter {
  id: string;
  queue: string;
  payload: unknown;
  error: { code?: string; message?: string } | null;
  traceparent: string | undefined;
  deadLetteredAt: string;
}

export default function QueueDetail(props: PageProps) {
  const queue = props.params.queue ?? '';
  usePageTitle(`Queue ${queue}`);
  return (
    <OperatorGate title={`Queue ${queue}`}>
      <Body queue={queue} />
    </OperatorGate>
  );
}

function Body({ queue }: { queue: string }) {
  const state = useApi<{ items: DeadLetter[] }>(
    `/v1/ops/queues/${encodeURIComponent(queue)}/dead-letters?limit=100`,
    {
      operator: true,
      check: isList,
    },
  );
  const mayRetry = useOperatorMay('ops:write') !== false;
  const action = useAction();
  const retry = (d: DeadLetter) =>
    action.run(d.id, async () => {
      const r = await api<{ jobId: string }>(
        `/v1/ops/queues/${encodeURIComponent(queue)}/dead-letters/${d.id}/retry`,
        { method: 'POST', operator: true },
      );
      rumFeature('dead_letter_retry');
      state.reload();
      return `Job sent back to ${queue} as ${r.jobId}.`;
    });

  return (
    <section>
      <p className="small">
        <Link to="/ops/queues">← Queues</Link>
      </p>
      <h1>
        Dead letters of <code>{queue}</code>
      </h1>
      <ActionOutcome state={action} refused="The retry was refused" />
      <Loaded state={state} what="dead letters">
        {(d) =>
          d.items.length === 0 ? (
            <p className="muted">No dead-lettered job in this queue.</p>
          ) : (
            <>
              {mayRetry ? null : <NeedsScope what="Retrying a dead-lettered job" scope="ops:write" />}
              <ul className="cards">
                {d.items.map((j) => (
                  <li key={j.id} className="card">
                    <p>
                      <strong>{j.error?.code ?? 'error'}</strong> {j.error?.message ?? ''}
                    </p>
                    <p className="small muted">
                      Dead-lettered {formatDate(j.deadLetteredAt)} · job {j.id}
                      {j.traceparent ? ` · trace ${j.traceparent.split('-')[1] ?? ''}` : ''}
                    </p>
                    <details>
                      <summary>Payload</summary>
                      <pre>{JSON.stringify(j.payload, null, 2)}</pre>
                    </details>
                    {mayRetry ? (
                      <ActionButton
                        small
                        label="Retry this job"
                        busyLabel="Retrying…"
                        running={action.busy === j.id}
                        anyRunning={action.busy !== undefined}
                        onClick={() => retry(j)}
                      />
                    ) : null}
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
