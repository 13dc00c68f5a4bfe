/**
 * One incident: state, escalation, alerts, timeline and notifications; the on-call actions
 * (acknowledge, post an update, resolve, close), its action items and the postmortem editor once
 * it is resolved. The controls are hidden when the key lacks `incidents:write` (the postmortem is
 * then shown read-only).
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import type { Feature } from '../../../../src/web/rum-catalogue.ts';
import { api } from '../../api.ts';
import { useAction, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link } from '../../router.tsx';
import { rumFeature } from '../../rum.ts';
import { ActionOutcome, formatDate, Loaded, Pill } from '../../ui.tsx';
import { IncidentActions } from './IncidentActions.tsx';
import {
  type IncidentDetail as Detail,
  type Postmortem,
  SEVERITY_TONE,
  STATE_TONE,
} from './incident-types.ts';
import { NeedsScope } from './NeedsScope.tsx';
import { OperatorGate, useOperatorMay } from './OperatorGate.tsx';

export default function IncidentDetail(props: PageProps) {
  usePageTitle(`Incident #${props.params.id ?? ''}`);
  return (
    <OperatorGate title={`Incident #${props.params.id ?? ''}`}>
      <Body id={props.params.id ?? ''} />
    </OperatorGate>
  );
}

/** {@link useAction} for the incident's buttons: each counts its RUM feature and reloads the incident. */
function useIncidentAction(reload: () => void) {
  const action = useAction();
  return {
    ...action,
    busy: action.busy !== undefined,
    run: (feature: Feature, what: string, fn: () => Promise<unknown>) =>
      action.run(feature, async () => {
        await fn();
        rumFeature(feature);
        reload();
        return what;
      }),
  };
}

function Body({ id }: { id: string }) {
  const state = useApi<Detail>(`/v1/incidents/${encodeURIComponent(id)}`, {
    operator: true,
    check: (b) => Array.isArray((b as Detail).timeline),
    pollMs: 10_000,
  });
  const action = useIncidentAction(state.reload);
  const mayWrite = useOperatorMay('incidents:write') !== false;
  const [update, setUpdate] = useState('');
  const updateId = useId();
  const post = (path: string, body: unknown) =>
    api(`/v1/incidents/${id}/${path}`, { method: 'POST', body, operator: true });

  const sendUpdate = (e: FormEvent) => {
    e.preventDefault();
    if (update.trim() === '') return;
    void action.run('incident_update', 'Update posted.', async () => {
      await post('updates', { message: update.trim() });
      setUpdate('');
    });
  };

  return (
    <section>
      <p className="small">
        <Link to="/ops/incidents">← Incidents</Link>
      </p>
      <Loaded state={state} what="the incident" module="incidents">
        {(i) => (
          <>
            <h1>
              #{i.id} {i.title}
            </h1>
            <p>
              <Pill tone={SEVERITY_TONE[i.severity] ?? 'info'}>{i.severity}</Pill>{' '}
              <Pill tone={STATE_TONE[i.state] ?? 'muted'}>{i.state}</Pill>{' '}
              <span className="small muted">
                started {formatDate(i.startedAt)}
                {i.dependency ? ` · ${i.dependency}` : ''}
                {i.acknowledgedBy
                  ? ` · acknowledged by ${i.acknowledgedBy} ${formatDate(i.acknowledgedAt)}`
                  : ''}
                {i.state === 'triggered'
                  ? ` · ${i.escalation.stepName}, acknowledge by ${formatDate(i.escalation.ackDeadline)}`
                  : ''}
              </span>
            </p>
            {mayWrite ? (
              <div className="actions" aria-busy={action.busy}>
                {i.state === 'triggered' ? (
                  <button
                    type="button"
                    className="button"
                    disabled={action.busy}
                    onClick={() =>
                      action.run('incident_ack', 'Acknowledged: escalation stopped.', () => post('ack', {}))
                    }
                  >
                    Acknowledge
                  </button>
                ) : null}
                {i.state === 'triggered' || i.state === 'acknowledged' ? (
                  <button
                    type="button"
                    className="button button-quiet"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(
                        'incident_resolve',
                        'Resolved: recovery notice sent, postmortem drafted.',
                        () => post('resolve', {}),
                      )
                    }
                  >
                    Resolve
                  </button>
                ) : null}
                {i.state === 'resolved' ? (
                  <button
                    type="button"
                    className="button button-quiet"
                    disabled={action.busy}
                    onClick={() => action.run('incident_close', 'Closed.', () => post('close', {}))}
                  >
                    Close
                  </button>
                ) : null}
              </div>
            ) : i.state === 'closed' ? null : (
              <NeedsScope
                what="Acknowledging, resolving, closing or posting an update"
                scope="incidents:write"
              />
            )}
            <ActionOutcome state={action} refused="The action was refused" />
            {mayWrite && i.state !== 'closed' ? (
              <form className="card" onSubmit={sendUpdate}>
                <label htmlFor={updateId}>Status update (sent on the update channels)</label>
                <textarea id={updateId} rows={3} value={update} onChange={(e) => setUpdate(e.target.value)} />
                <div className="actions">
                  <button
                    type="submit"
                    className="button button-small"
                    disabled={action.busy || update.trim() === ''}
                  >
                    Post update
                  </button>
                </div>
              </form>
            ) : null}
            <div className="grid-2">
              <div>
                <h2>Timeline</h2>
                <ol className="timeline">
                  {i.timeline.map((t) => (
                    <li key={t.id}>
                      <time dateTime={t.at}>{formatDate(t.at)}</time>{' '}
                      <span className="pill pill-muted">{t.kind}</span> {t.message}
                      {t.actor ? <span className="muted"> — {t.actor}</span> : null}
                    </li>
                  ))}
                </ol>
              </div>
              <div>
                <h2>Alerts</h2>
                <ul className="plain">
                  {i.alerts.map((a) => (
                    <li key={a.fingerprint}>
                      <strong>{a.alertname}</strong>{' '}
                      <Pill tone={a.status === 'firing' ? 'bad' : 'ok'}>{a.status}</Pill>{' '}
                      <span className="small muted">{a.annotations.summary ?? ''}</span>
                    </li>
                  ))}
                </ul>
                <h2>Notifications</h2>
                <ul className="plain small">
                  {i.notifications.map((n) => (
                    <li key={n.id}>
                      {n.kind} via {n.channel}: {n.state} ({n.delivered}/{n.recipients})
                      {n.lastError ? <span className="muted"> — {n.lastError}</span> : null}
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            <IncidentActions incidentId={i.id} items={i.actions} onChanged={state.reload} />
            {i.postmortem.exists ? <PostmortemEditor id={i.id} onSaved={state.reload} /> : null}
          </>
        )}
      </Loaded>
    </section>
  );
}

function PostmortemEditor({ id, onSaved }: { id: string; onSaved: () => void }) {
  const pm = useApi<Postmortem>(`/v1/incidents/${id}/postmortem`, {
    operator: true,
    check: (b) => typeof (b as Postmortem).markdown === 'string',
  });
  const mayWrite = useOperatorMay('incidents:write') !== false;
  const [text, setText] = useState<string>();
  const action = useIncidentAction(() => {
    pm.reload();
    onSaved();
  });
  const editorId = useId();
  useEffect(() => {
    if (pm.data && text === undefined) setText(pm.data.markdown);
  }, [pm.data, text]);

  const save = (e: FormEvent) => {
    e.preventDefault();
    void action.run('postmortem_save', 'Postmortem saved.', () =>
      api(`/v1/incidents/${id}/postmortem`, {
        method: 'PUT',
        body: { markdown: text ?? '' },
        operator: true,
      }),
    );
  };
  return (
    <form className="card" onSubmit={save}>
      <h2>Postmortem</h2>
      <Loaded state={pm} what="the postmortem">
        {(p) => (
          <>
            <p className="small muted">
              {p.edited
                ? `Edited by ${p.editedBy ?? '?'} ${formatDate(p.editedAt)}.`
                : 'Generated draft: edit it before closing.'}
            </p>
            <label htmlFor={editorId}>Markdown</label>
            <textarea
              id={editorId}
              className="editor"
              rows={18}
              value={text ?? ''}
              readOnly={!mayWrite}
              onChange={(e) => setText(e.target.value)}
            />
            {mayWrite ? (
              <div className="actions">
                <button type="submit" className="button" disabled={action.busy || text === p.markdown}>
                  Save postmortem
                </button>
              </div>
            ) : (
              <NeedsScope what="Editing the postmortem" scope="incidents:write" />
            )}
            <ActionOutcome state={action} refused="The postmortem was not saved" />
          </>
        )}
      </Loaded>
    </form>
  );
}
