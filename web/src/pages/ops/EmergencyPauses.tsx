/**
 * The emergency pauses of the chain writers (GET/PUT/DELETE /v1/ops/pauses; src/ops/pauses): each
 * switch running or paused — since when, by whom, why — with Pause (a reason required, then a
 * confirmation) and Resume for an operator with `ops:write` (hidden without it). Shown on the Chain
 * page, where the minter's queue it stops is.
 */
import { type FormEvent, useId, useState } from 'react';
import type { Pause, PauseSwitch } from '../../../../src/ops/pauses/pauses.ts';
import { api } from '../../api.ts';
import { useAction, useApi } from '../../hooks.ts';
import { ActionButton, ActionOutcome, formatDate, Loaded, Pill } from '../../ui.tsx';
import { NeedsScope } from './NeedsScope.tsx';
import { useOperatorMay } from './OperatorGate.tsx';

interface PausesView {
  switches: { name: PauseSwitch; pause: Pause | null }[];
}

const isPauses = (b: unknown) => Array.isArray((b as PausesView).switches);

const WHAT: Record<PauseSwitch, { label: string; stops: string }> = {
  minting: {
    label: 'Minting',
    stops: 'The minter signs nothing new (no batch, no replacement); unlocks wait as pending.',
  },
  execution: {
    label: 'Proposal execution',
    stops: 'No passed proposal is executed; queued ones wait (and expire at the end of their grace period).',
  },
};

export function EmergencyPauses({ onChanged }: { onChanged?: () => void }) {
  const state = useApi<PausesView>('/v1/ops/pauses', { operator: true, check: isPauses, pollMs: 10_000 });
  const mayWrite = useOperatorMay('ops:write') !== false;
  const action = useAction();
  const changed = (line: string) => {
    state.reload();
    onChanged?.();
    return line;
  };
  const resume = (name: PauseSwitch) =>
    action.run(`resume:${name}`, async () => {
      await api(`/v1/ops/pauses/${name}`, { method: 'DELETE', operator: true });
      return changed(`${WHAT[name].label} resumed.`);
    });
  const pause = (name: PauseSwitch, reason: string) =>
    action.run(`pause:${name}`, async () => {
      await api(`/v1/ops/pauses/${name}`, { method: 'PUT', operator: true, body: { reason } });
      return changed(`${WHAT[name].label} paused on every instance.`);
    });

  return (
    <div data-testid="emergency-pauses">
      <h2>Emergency pauses</h2>
      <p className="small muted">
        Kill switches for an incident (a key that may be exposed, a bug, a proposal that must not run): they
        stop the writer on every instance at once. Also <code>cb pause</code> / <code>cb resume</code>.
      </p>
      <ActionOutcome state={action} refused="The change was refused" />
      <Loaded state={state} what="the pauses" module="emergency pauses">
        {(v) => (
          <>
            {mayWrite ? null : <NeedsScope what="Pausing or resuming" scope="ops:write" />}
            <ul className="cards">
              {v.switches.map(({ name, pause: p }) => (
                <li key={name} className="card">
                  <p>
                    <strong>{WHAT[name].label}</strong>{' '}
                    {p ? <Pill tone="bad">PAUSED</Pill> : <Pill tone="ok">running</Pill>}
                  </p>
                  {p ? (
                    <>
                      <p>
                        Since {formatDate(p.pausedAt)} by <code>{p.pausedBy}</code>: {p.reason}
                      </p>
                      <p className="small muted">{WHAT[name].stops}</p>
                      {mayWrite ? (
                        <ActionButton
                          label={`Resume ${WHAT[name].label.toLowerCase()}`}
                          busyLabel="Resuming…"
                          running={action.busy === `resume:${name}`}
                          anyRunning={action.busy !== undefined}
                          onClick={() => resume(name)}
                        />
                      ) : null}
                    </>
                  ) : mayWrite ? (
                    <PauseForm name={name} busy={action.busy !== undefined} onPause={(r) => pause(name, r)} />
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        )}
      </Loaded>
    </div>
  );
}

/** A reason, then the button: nothing is paused without saying why. */
function PauseForm(props: { name: PauseSwitch; busy: boolean; onPause: (reason: string) => void }) {
  const id = useId();
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = reason.trim();
    if (r.length === 0) return;
    if (
      !window.confirm(
        `Pause ${WHAT[props.name].label.toLowerCase()} on every instance?\n\n${WHAT[props.name].stops}`,
      )
    )
      return;
    props.onPause(r);
    setReason('');
  };
  return (
    <form onSubmit={submit} aria-label={`Pause ${WHAT[props.name].label.toLowerCase()}`}>
      <label htmlFor={`${id}-reason`}>Reason (for the others on call)</label>
      <input
        id={`${id}-reason`}
        value={reason}
        maxLength={500}
        required
        onChange={(e) => setReason(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="button button-small" disabled={props.busy || reason.trim() === ''}>
          Pause {WHAT[props.name].label.toLowerCase()}
        </button>
      </div>
    </form>
  );
}
