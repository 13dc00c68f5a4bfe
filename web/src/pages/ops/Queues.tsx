/** Job queues: waiting, retrying, running, failed and dead-lettered jobs per queue (GET /v1/ops/queues). */
import type { QueueStats } from '../../../../src/platform/jobs/queue-stats-shape.ts';
import { isList, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link } from '../../router.tsx';
import { Loaded, Pill } from '../../ui.tsx';
import { OperatorGate } from './OperatorGate.tsx';

/** Seed 2.1: 任务队列深度 100. */
const DEPTH_LIMIT = 100;

export default function Queues(_props: PageProps) {
  usePageTitle('Queues');
  return (
    <OperatorGate title="Queues">
      <QueuesBody />
    </OperatorGate>
  );
}

function QueuesBody() {
  const state = useApi<{ items: QueueStats[] }>('/v1/ops/queues', {
    operator: true,
    check: isList,
    pollMs: 10_000,
  });
  return (
    <section>
      <h1>Queues</h1>
      <Loaded state={state} what="queues">
        {(d) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Jobs per queue</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col" className="num">
                    Waiting
                  </th>
                  <th scope="col" className="num">
                    Retrying
                  </th>
                  <th scope="col" className="num">
                    Running
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                  <th scope="col" className="num">
                    Dead letters
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((q) => {
                  const depth = q.created + q.retry;
                  return (
                    <tr key={q.queue}>
                      <th scope="row">
                        <Link to={`/ops/queues/${encodeURIComponent(q.queue)}`}>{q.queue}</Link>
                      </th>
                      <td className="num">
                        {depth >= DEPTH_LIMIT ? <Pill tone="bad">{depth}</Pill> : depth}
                      </td>
                      <td className="num">{q.retry}</td>
                      <td className="num">{q.active}</td>
                      <td className="num">{q.failed}</td>
                      <td className="num">
                        {q.deadLettered > 0 ? <Pill tone="bad">{q.deadLettered}</Pill> : q.deadLettered}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </section>
  );
}
