/**
 * Create or change an achievement (POST /v1/achievements, PUT /v1/achievements/:id). The server
 * validates everything at once and answers 422 ACH_DEFINITION_INVALID with details.issues
 * [{ path, message }]: each issue is shown at its field (the longest field path that prefixes the
 * issue's path), the rest above the form. Without achievements:admin an achievement is shown
 * read-only, and there is no form for a new one.
 */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiError, api } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link, navigate } from '../../router.tsx';
import { rumFeature } from '../../rum.ts';
import { ErrorNotice, Loaded } from '../../ui.tsx';
import type { Definition } from './Catalogue.tsx';
import { NeedsScope } from './NeedsScope.tsx';
import { OperatorGate, useOperatorMay } from './OperatorGate.tsx';

const RULE_TYPES = ['count', 'sum', 'distinct', 'streak', 'window', 'composite'] as const;

type Form = Record<FieldKey, string>;
type FieldKey =
  | 'id'
  | 'name'
  | 'description'
  | 'category'
  | 'series'
  | 'tier'
  | 'weight'
  | 'hidden'
  | 'startsAt'
  | 'endsAt'
  | 'prerequisites'
  | 'rule.type'
  | 'rule.filter.types'
  | 'rule.filter.sources'
  | 'rule.filter.conditions'
  | 'rule.target'
  | 'rule.field'
  | 'rule.period'
  | 'rule.timeZone'
  | 'rule.windowSeconds'
  | 'rule.mode'
  | 'rule.achievements'
  | 'rule.n';

const EMPTY: Form = {
  id: '',
  name: '',
  description: '',
  category: '',
  series: '',
  tier: '',
  weight: '1',
  hidden: 'false',
  startsAt: '',
  endsAt: '',
  prerequisites: '',
  'rule.type': 'count',
  'rule.filter.types': '',
  'rule.filter.sources': '',
  'rule.filter.conditions': '',
  'rule.target': '1',
  'rule.field': '',
  'rule.period': 'day',
  'rule.timeZone': 'UTC',
  'rule.windowSeconds': '',
  'rule.mode': 'all',
  'rule.achievements': '',
  'rule.n': '',
};

/** Issues at paths no field shows go to the form's top; `rule.filter` itself goes to the types. */
const ALIASES: Record<string, FieldKey> = { 'rule.filter': 'rule.filter.types', rule: 'rule.type' };

export function fieldOf(path: string): FieldKey | undefined {
  const keys = [...Object.keys(EMPTY), ...Object.keys(ALIASES)].sort((a, b) => b.length - a.length);
  const key = keys.find((k) => path === k || path.startsWith(`${k}.`));
  if (key === undefined) return undefined;
  return (ALIASES[key] ?? key) as FieldKey;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const num = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);

function toForm(d: Definition): Form {
  const r = d.rule as Record<string, unknown>;
  const filter = (r.filter ?? {}) as { types?: string[]; sources?: string[]; conditions?: unknown[] };
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    ...EMPTY,
    id: d.id,
    name: d.name,
    description: d.description ?? '',
    category: d.category,
    series: s(d.series),
    tier: s(d.tier),
    weight: s(d.weight),
    hidden: String(d.hidden),
    startsAt: s(d.startsAt),
    endsAt: s(d.endsAt),
    prerequisites: d.prerequisites.join(', '),
    'rule.type': String(r.type),
    'rule.filter.types': (filter.types ?? []).join(', '),
    'rule.filter.sources': (filter.sources ?? []).join(', '),
    'rule.filter.conditions': filter.conditions?.length ? JSON.stringify(filter.conditions, null, 2) : '',
    'rule.target': s(r.target),
    'rule.field': s(r.field),
    'rule.period': s(r.period) || 'day',
    'rule.timeZone': s(r.timeZone) || 'UTC',
    'rule.windowSeconds': s(r.windowSeconds),
    'rule.mode': s(r.mode) || 'all',
    'rule.achievements': Array.isArray(r.achievements) ? (r.achievements as string[]).join(', ') : '',
    'rule.n': s(r.n),
  };
}

/** The definition to send; throws a field problem the browser can tell without the server. */
function toDefinition(f: Form): { definition: Record<string, unknown> } | { problem: [FieldKey, string] } {
  const type = f['rule.type'];
  const rule: Record<string, unknown> = { type };
  if (type === 'composite') {
    rule.mode = f['rule.mode'];
    rule.achievements = list(f['rule.achievements']);
    if (f['rule.mode'] === 'at_least') rule.n = num(f['rule.n']);
  } else {
    const filter: Record<string, unknown> = { types: list(f['rule.filter.types']) };
    if (f['rule.filter.sources'].trim()) filter.sources = list(f['rule.filter.sources']);
    if (f['rule.filter.conditions'].trim()) {
      try {
        filter.conditions = JSON.parse(f['rule.filter.conditions']);
      } catch {
        return {
          problem: [
            'rule.filter.conditions',
            'not valid JSON: a list like [{ "field": "amount", "op": "gte", "value": 10 }]',
          ],
        };
      }
    }
    rule.filter = filter;
    rule.target = num(f['rule.target']);
    if (type === 'sum' || type === 'distinct') rule.field = f['rule.field'].trim();
    if (type === 'streak') {
      rule.period = f['rule.period'];
      rule.timeZone = f['rule.timeZone'].trim();
    }
    if (type === 'window') rule.windowSeconds = num(f['rule.windowSeconds']);
  }
  const d: Record<string, unknown> = {
    id: f.id.trim(),
    name: f.name,
    description: f.description,
    category: f.category.trim(),
    weight: num(f.weight),
    hidden: f.hidden === 'true',
    prerequisites: list(f.prerequisites),
    rule,
  };
  if (f.series.trim()) d.series = f.series.trim();
  if (f.tier) d.tier = f.tier;
  if (f.startsAt.trim()) d.startsAt = f.startsAt.trim();
  if (f.endsAt.trim()) d.endsAt = f.endsAt.trim();
  return { definition: d };
}

export default function CatalogueEditor({ params, query }: PageProps) {
  const id = params.id;
  const savedVersion = query.get('saved');
  usePageTitle(id ? `Edit ${id}` : 'New achievement');
  return (
    <OperatorGate title={id ? `Edit ${id}` : 'New achievement'}>
      {id ? (
        <EditExisting id={id} note={savedVersion ? `Saved ${id}, version ${savedVersion}.` : undefined} />
      ) : (
        <Editor initial={EMPTY} />
      )}
    </OperatorGate>
  );
}

function EditExisting({ id, note }: { id: string; note: string | undefined }) {
  const state = useApi<Definition>(`/v1/achievements/${encodeURIComponent(id)}`, {
    operator: true,
    check: (b) => typeof (b as Definition).rule === 'object',
  });
  return (
    <Loaded state={state} what="the achievement">
      {(d) => <Editor key={`${d.id}@${d.version ?? 0}`} initial={toForm(d)} existing={d} note={note} />}
    </Loaded>
  );
}

function Editor(props: { initial: Form; existing?: Definition; note?: string | undefined }) {
  const { initial, existing } = props;
  const mayEdit = useOperatorMay('achievements:admin') !== false;
  const [form, setForm] = useState<Form>(initial);
  const [errors, setErrors] = useState<Partial<Record<FieldKey, string[]>>>({});
  const [general, setGeneral] = useState<{ path: string; message: string }[]>([]);
  const [failure, setFailure] = useState<unknown>();
  const [saved, setSaved] = useState<string | undefined>(props.note);
  const [busy, setBusy] = useState(false);
  const baseId = useId();

  const set = (k: FieldKey) => (value: string) => setForm((f) => ({ ...f, [k]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setGeneral([]);
    setFailure(undefined);
    setSaved(undefined);
    const built = toDefinition(form);
    if ('problem' in built) {
      setErrors({ [built.problem[0]]: [built.problem[1]] });
      focusFirstError();
      return;
    }
    setBusy(true);
    try {
      const body = built.definition;
      const result = existing
        ? await api<{ id: string; version: number }>(`/v1/achievements/${encodeURIComponent(existing.id)}`, {
            method: 'PUT',
            body,
            operator: true,
          })
        : await api<{ id: string; version: number }>('/v1/achievements', {
            method: 'POST',
            body,
            operator: true,
          });
      rumFeature('achievement_save');
      if (existing) setSaved(`Saved ${result.id}, version ${result.version}.`);
      else
        navigate(`/ops/catalogue/${encodeURIComponent(result.id)}?saved=${result.version}`, {
          replace: true,
        });
    } catch (err) {
      const issues =
        (err instanceof ApiError
          ? (err.details as { issues?: { path: string; message: string }[] } | undefined)?.issues
          : undefined) ?? [];
      if (issues.length > 0) {
        const byField: Partial<Record<FieldKey, string[]>> = {};
        const rest: { path: string; message: string }[] = [];
        for (const issue of issues) {
          const key = fieldOf(issue.path.replace(/^body\./, ''));
          if (!key) {
            rest.push(issue);
            continue;
          }
          const shown = key !== issue.path ? `${issue.path}: ${issue.message}` : issue.message;
          byField[key] = [...(byField[key] ?? []), shown];
        }
        setErrors(byField);
        setGeneral(rest);
        setFailure(err instanceof ApiError ? new ApiError(err.status, err.code, err.message) : err);
        focusFirstError();
      } else setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: FieldKey, label: string, input: (props: FieldProps) => ReactNode, hint?: string) => {
    const id = `${baseId}-${k}`;
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const problems = errors[k];
    const describedBy = [hint ? hintId : '', problems ? errorId : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div className={`field${problems ? ' field-invalid' : ''}`} data-field={k}>
        <label htmlFor={id}>{label}</label>
        {input({
          id,
          value: form[k],
          onChange: set(k),
          'aria-invalid': problems ? true : undefined,
          'aria-describedby': describedBy,
        })}
        {hint ? (
          <p id={hintId} className="hint small muted">
            {hint}
          </p>
        ) : null}
        {problems ? (
          <p id={errorId} className="field-error small">
            {problems.join('; ')}
          </p>
        ) : null}
      </div>
    );
  };

  const back = (
    <p className="small">
      <Link to="/ops/catalogue">← Catalogue</Link>
    </p>
  );
  if (!existing && !mayEdit)
    return (
      <section>
        {back}
        <h1>New achievement</h1>
        <NeedsScope what="Creating an achievement" scope="achievements:admin" />
      </section>
    );
  const type = form['rule.type'];
  return (
    <section>
      {back}
      <h1>{existing ? `Edit ${existing.name}` : 'New achievement'}</h1>
      {existing ? (
        <p className="muted small">
          Version {existing.version}
          {mayEdit ? ': saving a change makes a new version.' : '.'}
        </p>
      ) : null}
      <form className="editor-form" onSubmit={submit} noValidate aria-busy={busy}>
        <ErrorNotice error={failure} title="The achievement was not saved" />
        {general.length > 0 ? (
          <ul className="field-error">
            {general.map((g) => (
              <li key={`${g.path}:${g.message}`}>
                <code>{g.path}</code>: {g.message}
              </li>
            ))}
          </ul>
        ) : null}
        <fieldset disabled={!mayEdit}>
          <legend>Achievement</legend>
          <div className="grid-2">
            {field(
              'id',
              'Id',
              (p) => (
                <input
                  {...p}
                  onChange={(e) => p.onChange(e.target.value)}
                  readOnly={!!existing}
                  spellCheck={false}
                />
              ),
              'a-z 0-9 _ . - (1-64); cannot change later',
            )}
            {field('name', 'Name', (p) => (
              <input {...p} onChange={(e) => p.onChange(e.target.value)} />
            ))}
            {field(
              'category',
              'Category',
              (p) => (
                <input {...p} onChange={(e) => p.onChange(e.target.value)} />
              ),
              'a metric label: keep the set small',
            )}
            {field('weight', 'Voting weight', (p) => (
              <input {...p} inputMode="decimal" onChange={(e) => p.onChange(e.target.value)} />
            ))}
            {field(
              'series',
              'Series',
              (p) => (
                <input {...p} onChange={(e) => p.onChange(e.target.value)} />
              ),
              'with a tier, or neither',
            )}
            {field('tier', 'Tier', (p) => (
              <select {...p} onChange={(e) => p.onChange(e.target.value)}>
                <option value="">none</option>
                <option value="bronze">bronze</option>
                <option value="silver">silver</option>
                <option value="gold">gold</option>
              </select>
            ))}
            {field('startsAt', 'Starts at', (p) => (
              <input {...p} placeholder="2026-01-01T00:00:00Z" onChange={(e) => p.onChange(e.target.value)} />
            ))}
            {field('endsAt', 'Ends at', (p) => (
              <input {...p} placeholder="(open)" onChange={(e) => p.onChange(e.target.value)} />
            ))}
          </div>
          {field('description', 'Description', (p) => (
            <textarea {...p} rows={2} onChange={(e) => p.onChange(e.target.value)} />
          ))}
          {field(
            'prerequisites',
            'Prerequisites',
            (p) => (
              <input {...p} onChange={(e) => p.onChange(e.target.value)} />
            ),
            'achievement ids, comma separated',
          )}
          {field('hidden', 'Visibility', (p) => (
            <select {...p} onChange={(e) => p.onChange(e.target.value)}>
              <option value="false">shown to everyone</option>
              <option value="true">hidden until unlocked</option>
            </select>
          ))}
        </fieldset>
        <fieldset disabled={!mayEdit}>
          <legend>Rule</legend>
          {field('rule.type', 'Rule type', (p) => (
            <select {...p} onChange={(e) => p.onChange(e.target.value)}>
              {RULE_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          ))}
          {type === 'composite' ? (
            <div className="grid-2">
              {field('rule.mode', 'Mode', (p) => (
                <select {...p} onChange={(e) => p.onChange(e.target.value)}>
                  <option value="all">all</option>
                  <option value="any">any</option>
                  <option value="at_least">at least n</option>
                </select>
              ))}
              {form['rule.mode'] === 'at_least'
                ? field('rule.n', 'n', (p) => (
                    <input {...p} inputMode="numeric" onChange={(e) => p.onChange(e.target.value)} />
                  ))
                : null}
              {field(
                'rule.achievements',
                'Achievements',
                (p) => (
                  <input {...p} onChange={(e) => p.onChange(e.target.value)} />
                ),
                'ids, comma separated',
              )}
            </div>
          ) : (
            <>
              <div className="grid-2">
                {field(
                  'rule.filter.types',
                  'Event types',
                  (p) => (
                    <input {...p} onChange={(e) => p.onChange(e.target.value)} />
                  ),
                  'comma separated',
                )}
                {field(
                  'rule.filter.sources',
                  'Event sources',
                  (p) => (
                    <input {...p} onChange={(e) => p.onChange(e.target.value)} />
                  ),
                  'optional, comma separated',
                )}
                {field('rule.target', 'Target', (p) => (
                  <input {...p} inputMode="decimal" onChange={(e) => p.onChange(e.target.value)} />
                ))}
                {type === 'sum' || type === 'distinct'
                  ? field(
                      'rule.field',
                      'Data field',
                      (p) => <input {...p} onChange={(e) => p.onChange(e.target.value)} />,
                      'dot path into the event data',
                    )
                  : null}
                {type === 'streak'
                  ? field('rule.period', 'Period', (p) => (
                      <select {...p} onChange={(e) => p.onChange(e.target.value)}>
                        <option value="day">day</option>
                        <option value="week">week</option>
                      </select>
                    ))
                  : null}
                {type === 'streak'
                  ? field(
                      'rule.timeZone',
                      'Time zone',
                      (p) => <input {...p} onChange={(e) => p.onChange(e.target.value)} />,
                      'IANA, e.g. Europe/Paris',
                    )
                  : null}
                {type === 'window'
                  ? field('rule.windowSeconds', 'Window (seconds)', (p) => (
                      <input {...p} inputMode="numeric" onChange={(e) => p.onChange(e.target.value)} />
                    ))
                  : null}
              </div>
              {field(
                'rule.filter.conditions',
                'Conditions (JSON)',
                (p) => (
                  <textarea
                    {...p}
                    rows={4}
                    spellCheck={false}
                    className="mono"
                    onChange={(e) => p.onChange(e.target.value)}
                  />
                ),
                'optional; all must hold: [{ "field": "amount", "op": "gte", "value": 10 }] — ops eq, in, gte, lte, exists',
              )}
            </>
          )}
        </fieldset>
        {mayEdit ? (
          <div className="actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? 'Saving…' : existing ? 'Save a new version' : 'Create achievement'}
            </button>
          </div>
        ) : (
          <NeedsScope what="Changing an achievement" scope="achievements:admin" />
        )}
        {saved ? (
          <p className="notice notice-ok" role="status">
            {saved}
          </p>
        ) : null}
      </form>
    </section>
  );
}

interface FieldProps {
  id: string;
  value: string;
  onChange: (value: string) => void;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

function focusFirstError(): void {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>(
      '.field-invalid input, .field-invalid select, .field-invalid textarea',
    );
    el?.focus();
  });
}
