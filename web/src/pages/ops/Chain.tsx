/**
 * Chain sync: the chain plane as the database and this instance see it (GET /v1/ops/chain: the
 * chain followed, the listener's checkpoint, open and failed mints, the minter's open transactions,
 * this instance's listener, minter and RPC endpoints), the metric figures against the seed's
 * thresholds (GET /v1/ops/health, group chain), and the dead-lettered mint requests with a retry of
 * each (GET /v1/ops/mints/failed, POST /v1/ops/mints/:id/retry, scope ops:write: hidden without it),
 * and the emergency pauses of minting and execution (EmergencyPauses.tsx).
 */

import { nativeAmount } from '../../../../src/chain/native-amount.ts';
import type {
  ChainStatusShape,
  FailedMintPageShape,
  FailedMintShape,
} from '../../../../src/chain/ops/chain-status-shape.ts';
import { api } from '../../api.ts';
import { isList, useAction, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { rumFeature } from '../../rum.ts';
import { ActionButton, ActionOutcome, Address, formatDate, formatNumber, Loaded, Pill } from '../../ui.tsx';
import { EmergencyPauses } from './EmergencyPauses.tsx';
import { HealthTable } from './Health.tsx';
import { type HealthReport, isHealth } from './health-types.ts';
import { NeedsScope } from './NeedsScope.tsx';
import { OperatorGate, useOperatorMay } from './OperatorGate.tsx';

export default function Chain(_props: PageProps) {
  usePageTitle('Chain sync');
  return (
    <OperatorGate title="Chain sync">
      <ChainBody />
    </OperatorGate>
  );
}

const isChainStatus = (b: unknown) => typeof (b as ChainStatusShape).mints === 'object';

function ChainBody() {
  const status = useApi<ChainStatusShape>('/v1/ops/chain', {
    operator: true,
    check: isChainStatus,
    pollMs: 5000,
  });
  const health = useApi<HealthReport>('/v1/ops/health', { operator: true, check: isHealth, pollMs: 5000 });
  return (
    <section>
      <h1>Chain sync</h1>
      <Loaded state={status} what="the chain status" module="chain operations">
        {(s) => <StatusView s={s} />}
      </Loaded>
      <h2>Figures against the thresholds</h2>
      <Loaded state={health} what="chain figures">
        {(r) => {
          const items = r.items.filter((i) => i.group === 'chain');
          // The listener's and the minter's figures come only from the process running them.
          const reporting = items.some((i) => i.value !== null);
          return (
            <>
              {reporting ? null : (
                <div className="notice notice-info" role="status">
                  <p>
                    <strong>No chain listener or minter reports to this instance yet.</strong>
                  </p>
                  <p>
                    The listener's figures appear where it runs (role all or listener), the minter's on the
                    instance that holds its lease (role all or worker, with the minter key).
                  </p>
                </div>
              )}
              <HealthTable items={items} caption="Listener and minter, this instance" />
            </>
          );
        }}
      </Loaded>
      <EmergencyPauses onChanged={status.reload} />
      <FailedMints onRetried={status.reload} />
    </section>
  );
}

function StatusView({ s }: { s: ChainStatusShape }) {
  const { listener, minter, rpc } = s.instance;
  return (
    <>
      <p>
        {s.identity ? (
          <>
            Chain <strong>{s.identity.chainId}</strong>
            {s.identity.dev ? ' (embedded dev chain)' : ''}, badge contract{' '}
            <Address value={s.identity.badgeAddress} />
          </>
        ) : (
          <span className="muted">No chain recorded yet: the first start with a chain records it.</span>
        )}
      </p>
      <div className="table-wrap">
        <table>
          <caption>Mint requests and transactions (all instances)</caption>
          <tbody>
            <tr>
              <th scope="row">Pending / submitted</th>
              <td className="num">
                {s.mints.pending} / {s.mints.submitted}
              </td>
              <td className="small muted">oldest open {formatDate(s.mints.oldestOpenAt)}</td>
            </tr>
            <tr>
              <th scope="row">Failed (dead-lettered)</th>
              <td className="num">{s.mints.failed}</td>
              <td className="small muted">last {formatDate(s.mints.lastFailedAt)}</td>
            </tr>
            <tr>
              <th scope="row">Open transactions</th>
              <td className="num">{s.transactions.open}</td>
              <td className="small muted">
                oldest sent {formatDate(s.transactions.oldestSubmittedAt)} · {s.transactions.replacements}{' '}
                replacement(s)
              </td>
            </tr>
            {s.checkpoints.map((c) => (
              <tr key={c.contract}>
                <th scope="row">
                  Listener checkpoint <Address value={c.contract} />
                </th>
                <td className="num">
                  {formatNumber(c.appliedBlock, 0)} applied ·{' '}
                  {c.finalizedBlock ? formatNumber(c.finalizedBlock, 0) : '—'} final
                </td>
                <td className="small muted">moved {formatDate(c.updatedAt)}</td>
              </tr>
            ))}
            <ReconciliationRow run={s.reconciliation} />
          </tbody>
        </table>
      </div>
      <h2>This instance</h2>
      <ul className="cards">
        <li className="card">
          <p>
            <strong>Listener</strong>{' '}
            {listener === null ? (
              <Pill tone="muted">not here</Pill>
            ) : listener.running ? (
              <Pill tone={listener.lastError ? 'bad' : 'ok'}>
                {listener.lastError ? 'failing' : 'running'}
              </Pill>
            ) : (
              <Pill tone="muted">not running (role)</Pill>
            )}
          </p>
          {listener ? (
            <p className="small">
              head {listener.headBlock ?? '—'} · processed {listener.processedBlock ?? '—'} · final{' '}
              {listener.finalizedBlock ?? '—'} · lag {listener.lagBlocks ?? '—'} blocks ·{' '}
              {listener.chunkBlocks} blocks per eth_getLogs
            </p>
          ) : null}
          {listener?.lastError ? <p className="small">Last error: {listener.lastError}</p> : null}
        </li>
        <li className="card">
          <p>
            <strong>Minter</strong>{' '}
            {minter === null ? (
              <Pill tone="muted">no key here</Pill>
            ) : (
              <Pill
                tone={
                  minter.lastError ? 'bad' : minter.waitingForFees ? 'warn' : minter.active ? 'ok' : 'muted'
                }
              >
                {minter.lastError
                  ? 'failing'
                  : minter.waitingForFees
                    ? 'waiting for fees under the cap'
                    : minter.active
                      ? 'active'
                      : 'standing by'}
              </Pill>
            )}
          </p>
          {minter ? (
            <p className="small">
              account <Address value={minter.account} /> · next nonce {minter.nextNonce ?? '—'} · last tick{' '}
              {formatDate(minter.lastTickAt)}
            </p>
          ) : null}
          {minter?.balanceWei ? (
            <p className="small">
              balance <span title={`${minter.balanceWei} wei`}>{nativeAmount(minter.balanceWei)}</span> (the
              chain's native unit) · sampled {formatDate(minter.balanceAt)}
            </p>
          ) : null}
          {minter?.lastError ? <p className="small">Last error: {minter.lastError}</p> : null}
        </li>
      </ul>
      {rpc && rpc.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption>RPC endpoints (this instance's pool)</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  Head (lag)
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {rpc.map((e) => (
                <tr key={e.name}>
                  <th scope="row">
                    {e.name} <span className="small muted">{e.kind}</span>
                  </th>
                  <td>
                    <Pill tone={e.up ? 'ok' : 'bad'}>{e.up ? 'up' : `down · circuit ${e.circuit}`}</Pill>
                  </td>
                  <td className="num">{e.latencyMs === null ? '—' : `${formatNumber(e.latencyMs, 1)} ms`}</td>
                  <td className="num">{formatNumber(e.errorRate * 100, 1)} %</td>
                  <td className="num">
                    {e.headBlock ?? '—'}
                    {e.lagBlocks ? ` (−${e.lagBlocks})` : ''}
                  </td>
                  <td className="small">
                    {e.lastError ? `${e.lastError} · ${formatDate(e.lastErrorAt)}` : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function FailedMints({ onRetried }: { onRetried: () => void }) {
  const state = useApi<FailedMintPageShape>('/v1/ops/mints/failed?limit=100', {
    operator: true,
    check: isList,
    pollMs: 15_000,
  });
  const mayRetry = useOperatorMay('ops:write') !== false;
  const action = useAction();
  const retried = (line: string) => {
    rumFeature('mint_retry');
    state.reload();
    onRetried();
    return line;
  };
  const retry = (m: FailedMintShape) =>
    action.run(m.id, async () => {
      await api<{ id: string }>(`/v1/ops/mints/${m.id}/retry`, { method: 'POST', operator: true });
      return retried(`Mint request ${m.id} is pending again: the minter sends it on its next round.`);
    });
  // Only what is on screen (failed at or before the newest shown), not what failed since.
  const retryAll = (page: FailedMintPageShape) =>
    action.run('all', async () => {
      const failedBefore = page.items[0]?.failedAt ?? new Date().toISOString();
      const r = await api<{ retried: number }>('/v1/ops/mints/failed/retry', {
        method: 'POST',
        operator: true,
        body: { failedBefore },
      });
      return retried(
        `${r.retried} mint request(s) are pending again: the minter sends them on its next rounds.`,
      );
    });

  return (
    <>
      <h2>Failed mints</h2>
      <p className="small muted">
        Requests the minter dead-lettered, most recent first. Fix the cause (funds, the minter's role, fees),
        then send them again.
      </p>
      <ActionOutcome state={action} refused="The retry was refused" />
      <Loaded state={state} what="failed mints" module="chain operations">
        {(page) =>
          page.items.length === 0 ? (
            <p className="muted">No failed mint request.</p>
          ) : (
            <>
              {mayRetry ? null : <NeedsScope what="Retrying a failed mint" scope="ops:write" />}
              {mayRetry && page.total > 1 ? (
                <ActionButton
                  label={`Retry all ${page.total} failed mints`}
                  busyLabel="Retrying…"
                  running={action.busy === 'all'}
                  anyRunning={action.busy !== undefined}
                  onClick={() => retryAll(page)}
                />
              ) : null}
              <ul className="cards">
                {page.items.map((m) => (
                  <li key={m.id} className="card">
                    <p>
                      <strong>{m.achievementId}</strong> for <Address value={m.user} />
                    </p>
                    <p className="small">{m.error ?? 'no reason recorded'}</p>
                    <p className="small muted">
                      Failed {formatDate(m.failedAt)} after {m.attempts} attempt(s) · request {m.id}
                      {m.txHash ? (
                        <>
                          {' '}
                          · last transaction <Address value={m.txHash} />
                        </>
                      ) : null}
                    </p>
                    {mayRetry ? (
                      <ActionButton
                        small
                        label="Retry this mint"
                        busyLabel="Retrying…"
                        running={action.busy === m.id}
                        anyRunning={action.busy !== undefined}
                        onClick={() => retry(m)}
                      />
                    ) : null}
                  </li>
                ))}
                {page.total > page.items.length ? (
                  <li className="small muted">…and {page.total - page.items.length} older.</li>
                ) : null}
              </ul>
            </>
          )
        }
      </Loaded>
    </>
  );
}

/** The latest chain reconciliation (the database against the chain, the chain being the truth). */
function ReconciliationRow({ run }: { run: ChainStatusShape['reconciliation'] }) {
  if (!run)
    return (
      <tr>
        <th scope="row">Reconciliation with the chain</th>
        <td className="num">—</td>
        <td className="small muted">none yet: the scheduled job chain.reconcile, or cb reconcile chain</td>
      </tr>
    );
  const how = `${run.trigger === 'cli' ? 'cb reconcile chain' : 'scheduled'}${run.fix ? ' --fix' : ''}`;
  const kinds = Object.entries(run.differences)
    .map(([kind, n]) => `${n} ${kind.replace('_', ' ')}`)
    .join(', ');
  return (
    <tr>
      <th scope="row">Reconciliation with the chain</th>
      <td className="num">
        {run.error !== null ? (
          <Pill tone="bad">failed</Pill>
        ) : run.differencesLeft ? (
          <Pill tone="bad">{run.differencesLeft} difference(s)</Pill>
        ) : (
          <Pill tone="ok">in agreement</Pill>
        )}
      </td>
      <td className="small muted">
        {formatDate(run.finishedAt)} · {how}
        {run.error !== null
          ? ` · ${run.error}`
          : ` · block ${formatNumber(run.block ?? '0', 0)}, ${run.checkedTokens} token(s)${kinds ? ` · found ${kinds}` : ''}${run.fix && kinds ? ` · ${run.changes} repaired` : ''}`}
      </td>
    </tr>
  );
}
