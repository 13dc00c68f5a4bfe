/** Chain sync: head, processed block, lag, reorgs, pending transactions (from GET /v1/ops/health). */
import { useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Loaded } from '../../ui.tsx';
import { HealthTable } from './Health.tsx';
import { type HealthReport, isHealth } from './health-types.ts';
import { OperatorGate } from './OperatorGate.tsx';

export default function Chain(_props: PageProps) {
  usePageTitle('Chain sync');
  return (
    <OperatorGate title="Chain sync">
      <ChainBody />
    </OperatorGate>
  );
}

function ChainBody() {
  const state = useApi<HealthReport>('/v1/ops/health', { operator: true, check: isHealth, pollMs: 5000 });
  return (
    <section>
      <h1>Chain sync</h1>
      <Loaded state={state} what="chain figures">
        {(r) => {
          const items = r.items.filter((i) => i.group === 'chain');
          const running = items.some((i) => i.id === 'chain.head' && i.value !== null);
          return (
            <>
              {running ? null : (
                <div className="notice notice-info" role="status">
                  <p>
                    <strong>No chain listener reports to this instance yet.</strong>
                  </p>
                  <p>The figures appear once the listener runs here (role all or listener).</p>
                </div>
              )}
              <HealthTable items={items} caption="Listener and minter, this instance" />
              {r.dependencies.rpc ? (
                <p>
                  RPC: <strong>{r.dependencies.rpc}</strong>
                </p>
              ) : null}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
