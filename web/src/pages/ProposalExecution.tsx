/**
 * A proposal's executions (each attempt, its calls' outcomes) and, for an operator who pasted a key
 * on an operator page (kept in this tab's sessionStorage), the two actions Governor/Tally users
 * expect next to them: execute or retry a queued proposal (`governance:admin`), and cancel it as the
 * guardian (`governance:guardian`, with a reason). Each is replaced by the scope it needs once the
 * key is known to lack it; the server decides, and a refusal shows its code.
 */
import { useId, useState } from 'react';
import { ApiError, api, operatorKey } from '../api.ts';
import type { Proposal } from '../governance.ts';
import { useAction } from '../hooks.ts';
import { ActionOutcome, formatDate, Pill } from '../ui.tsx';
import { NeedsScope } from './ops/NeedsScope.tsx';
import { OperatorScopes, useOperatorMay } from './ops/OperatorGate.tsx';

const CANCELABLE = new Set(['pending', 'active', 'succeeded', 'queued']);

interface Outcome {
  index: number;
  status: string;
  txHash?: string;
  error?: string;
}

const outcomesOf = (value: unknown): Outcome[] => (Array.isArray(value) ? (value as Outcome[]) : []);

export function ProposalExecution({ proposal: p, onChanged }: { proposal: Proposal; onChanged: () => void }) {
  const executions = p.executions ?? [];
  const operator = operatorKey() !== null;
  // For an operator the panel stays once the proposal is settled, so the outcome of an action shows.
  if (executions.length === 0 && !operator) return null;
  return (
    <>
      <h2>Execution</h2>
      {executions.length > 0 ? (
        <ol className="timeline" data-testid="executions">
          {executions.map((e) => (
            <li key={e.attempt}>
              Attempt {e.attempt}{' '}
              <Pill tone={e.status === 'ok' ? 'ok' : e.status === 'failed' ? 'bad' : 'info'}>{e.status}</Pill>{' '}
              <span className="muted">
                by {e.actor}, {formatDate(e.startedAt)}
              </span>
              {e.error ? <span> — {e.error}</span> : null}
              {outcomesOf(e.outcomes).length > 0 ? (
                <ul className="small">
                  {outcomesOf(e.outcomes).map((o) => (
                    <li key={o.index}>
                      call {o.index}: {o.status}
                      {o.txHash ? (
                        <>
                          {' '}
                          <code>{o.txHash}</code>
                        </>
                      ) : null}
                      {o.error ? ` — ${o.error}` : null}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ol>
      ) : CANCELABLE.has(p.state) ? (
        <p className="muted">Not executed yet{p.eta ? `: due ${formatDate(p.eta)}` : ''}.</p>
      ) : (
        <p className="muted">Not executed ({p.state}).</p>
      )}
      {operator ? (
        <OperatorScopes>
          <OperatorActions proposal={p} onChanged={onChanged} />
        </OperatorScopes>
      ) : null}
    </>
  );
}

function OperatorActions({ proposal: p, onChanged }: { proposal: Proposal; onChanged: () => void }) {
  // Shown until the key is known to lack the scope: the API refuses anyway, with its reason.
  const mayExecute = useOperatorMay('governance:admin') !== false;
  const mayCancel = useOperatorMay('governance:guardian') !== false;
  const action = useAction();
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const busy = action.busy !== undefined;
  const failed = p.execution.lastStatus === 'failed';
  const execute = () =>
    action.run('execute', async () => {
      await api(`/v1/proposals/${encodeURIComponent(p.id)}/execute`, { method: 'POST', operator: true });
      onChanged();
      return failed
        ? 'Execution retried: see the new attempt above.'
        : 'Execution started: see the attempt above.';
    });
  const cancel = () =>
    action.run('cancel', async () => {
      await api(`/v1/proposals/${encodeURIComponent(p.id)}/cancel`, {
        method: 'POST',
        operator: true,
        body: reason.trim() ? { reason: reason.trim() } : {},
      });
      onChanged();
      return 'The proposal was canceled.';
    });
  return (
    <div className="card" data-testid="operator-actions">
      <p className="small muted">Operator actions (with the key pasted on an operator page).</p>
      {p.state !== 'queued' ? null : mayExecute ? (
        <div className="actions">
          <button type="button" className="button" disabled={busy} onClick={execute}>
            {action.busy === 'execute' ? 'Executing…' : failed ? 'Retry execution' : 'Execute now'}
          </button>
        </div>
      ) : (
        <NeedsScope
          what={failed ? 'Retrying the execution' : 'Executing the proposal'}
          scope="governance:admin"
        />
      )}
      {!CANCELABLE.has(p.state) ? null : mayCancel ? (
        <>
          <label htmlFor={reasonId}>Reason for canceling (public)</label>
          <input id={reasonId} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          <div className="actions">
            <button type="button" className="button button-danger" disabled={busy} onClick={cancel}>
              {action.busy === 'cancel' ? 'Canceling…' : 'Cancel as guardian'}
            </button>
          </div>
        </>
      ) : (
        <NeedsScope what="Canceling as guardian" scope="governance:guardian" />
      )}
      <ActionOutcome
        state={action}
        refused={action.error instanceof ApiError ? 'The action was refused' : 'The action failed'}
      />
    </div>
  );
}
