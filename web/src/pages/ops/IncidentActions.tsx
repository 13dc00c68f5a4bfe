/**
 * An incident's action items (postmortem follow-ups, docs/incidents.md "Action items"): what must
 * change, its owner and due date, open / done / dropped with overdue ones marked; a form to add one
 * (POST /v1/incidents/:id/actions) and Done, Drop (with the reason the API requires) and Reopen per
 * item (PATCH …/actions/:actionId). The controls are hidden when the key lacks `incidents:write`.
 */
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api.ts';
import { useAction } from '../../hooks.ts';
import { rumFeature } from '../../rum.ts';
import { ActionOutcome, Pill } from '../../ui.tsx';
import { dueAtOfDay, formatDueDay } from './action-due.ts';
import { ACTION_STATUS_TONE, type ActionStatus, type IncidentAction } from './incident-types.ts';
import { NeedsScope } from './NeedsScope.tsx';
import { useOperatorMay } from './OperatorGate.tsx';

const NO_DRAFT = { title: '', owner: '', due: '' };

/**
 * The section of the incident page. `onChanged` reloads the incident (items and timeline).
 * Not counted as RUM features: the catalogue (src/web/rum-catalogue.ts) has no action-item feature yet.
 */
export function IncidentActions(props: {
  incidentId: string;
  items: IncidentAction[];
  onChanged: () => void;
}) {
  const { incidentId, items, onChanged } = props;
  // Shown until the key is known to lack the scope: the API refuses anyway, with its reason.
  const mayWrite = useOperatorMay('incidents:write') !== false;
  const action = useAction();
  const busy = action.busy !== undefined;
  const [draft, setDraft] = useState(NO_DRAFT);
  const [dropping, setDropping] = useState<IncidentAction>();
  const [reason, setReason] = useState('');
  const id = useId();
  const base = `/v1/incidents/${encodeURIComponent(incidentId)}/actions`;

  const run = (key: string, fn: () => Promise<string>) =>
    action.run(key, async () => {
      const done = await fn();
      onChanged();
      return done;
    });

  const add = (e: FormEvent) => {
    e.preventDefault();
    const title = draft.title.trim();
    if (title === '') return;
    const owner = draft.owner.trim();
    const dueAt = dueAtOfDay(draft.due);
    void run('add', async () => {
      await api(base, {
        method: 'POST',
        body: { title, ...(owner ? { owner } : {}), ...(dueAt ? { dueAt } : {}) },
        operator: true,
      });
      setDraft(NO_DRAFT);
      rumFeature('incident_action_add');
      return 'Action item added.';
    });
  };

  /** PATCHes the item's status; `then` runs once the API accepted it. */
  const change = (item: IncidentAction, status: ActionStatus, note?: string, then?: () => void) =>
    run(`item-${item.id}`, async () => {
      await api(`${base}/${encodeURIComponent(item.id)}`, {
        method: 'PATCH',
        body: note === undefined ? { status } : { status, note },
        operator: true,
      });
      then?.();
      rumFeature('incident_action_update');
      return `${status === 'open' ? 'Reopened' : status === 'done' ? 'Done' : 'Dropped'}: ${item.title}.`;
    });

  const drop = (e: FormEvent) => {
    e.preventDefault();
    if (!dropping || reason.trim() === '') return;
    // Kept open when refused, so the reason can be fixed and sent again.
    void change(dropping, 'dropped', reason.trim(), () => {
      setDropping(undefined);
      setReason('');
    });
  };

  return (
    <section className="incident-actions" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Action items</h2>
      {items.length === 0 ? (
        <p className="muted">No action item yet: add what must change so this does not happen again.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="incident-actions">
            <caption className="sr-only">Action items</caption>
            <thead>
              <tr>
                <th scope="col">Action item</th>
                <th scope="col">Owner</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                {mayWrite ? (
                  <th scope="col">
                    <span className="sr-only">Change</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-status={a.status} data-overdue={a.overdue}>
                  <td>
                    {a.title}
                    {a.status === 'dropped' && a.note ? (
                      <div className="small muted">Dropped: {a.note}</div>
                    ) : null}
                  </td>
                  <td>{a.owner ?? <span className="muted">—</span>}</td>
                  <td className={a.overdue ? 'overdue' : undefined}>
                    {a.dueAt ? <time dateTime={a.dueAt}>{formatDueDay(a.dueAt)}</time> : '—'}
                  </td>
                  <td>
                    <Pill tone={ACTION_STATUS_TONE[a.status]}>{a.status}</Pill>
                    {a.overdue ? (
                      <>
                        {' '}
                        <Pill tone="bad">overdue</Pill>
                      </>
                    ) : null}
                  </td>
                  {mayWrite ? (
                    <td>
                      <div className="row-actions">
                        {a.status === 'open' ? (
                          <>
                            <button
                              type="button"
                              className="button button-small"
                              disabled={busy}
                              onClick={() => void change(a, 'done')}
                            >
                              Done
                            </button>
                            <button
                              type="button"
                              className="button button-small button-quiet"
                              disabled={busy}
                              aria-expanded={dropping?.id === a.id}
                              onClick={() => {
                                setDropping(a);
                                setReason('');
                              }}
                            >
                              Drop
                            </button>
                          </>
                        ) : (
                          <button
                            type="button"
                            className="button button-small button-quiet"
                            disabled={busy}
                            onClick={() => void change(a, 'open')}
                          >
                            Reopen
                          </button>
                        )}
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mayWrite && dropping ? (
        <form className="card" onSubmit={drop}>
          <label htmlFor={`${id}-reason`}>Why drop “{dropping.title}”? (required)</label>
          <input
            id={`${id}-reason`}
            value={reason}
            maxLength={2000}
            required
            // biome-ignore lint/a11y/noAutofocus: the form opens from the row's Drop button
            autoFocus
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="button button-small" disabled={busy || reason.trim() === ''}>
              Drop the item
            </button>
            <button
              type="button"
              className="button button-small button-quiet"
              onClick={() => setDropping(undefined)}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      {mayWrite ? (
        <form className="action-form" onSubmit={add} aria-label="Add an action item">
          <div>
            <label htmlFor={`${id}-title`}>New action item</label>
            <input
              id={`${id}-title`}
              value={draft.title}
              maxLength={500}
              required
              placeholder="Alert on disk usage at 80 %"
              onChange={(e) => setDraft({ ...draft, title: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor={`${id}-owner`}>Owner</label>
            <input
              id={`${id}-owner`}
              value={draft.owner}
              maxLength={200}
              spellCheck={false}
              onChange={(e) => setDraft({ ...draft, owner: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor={`${id}-due`}>Due date</label>
            <input
              id={`${id}-due`}
              type="date"
              value={draft.due}
              onChange={(e) => setDraft({ ...draft, due: e.target.value })}
            />
          </div>
          <div className="actions">
            <button type="submit" className="button" disabled={busy || draft.title.trim() === ''}>
              Add
            </button>
          </div>
        </form>
      ) : (
        <NeedsScope what="Adding or changing action items" scope="incidents:write" />
      )}
      <ActionOutcome state={action} refused="The action item was not saved" />
    </section>
  );
}
