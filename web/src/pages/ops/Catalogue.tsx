/**
 * The achievement catalogue (GET /v1/achievements; hidden ones too with achievements:admin), with
 * New achievement when the key may create one (achievements:admin).
 */
import { isList, useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { Link } from '../../router.tsx';
import { Loaded, Pill } from '../../ui.tsx';
import { NeedsScope } from './NeedsScope.tsx';
import { OperatorGate, useOperatorMay } from './OperatorGate.tsx';

export interface Definition {
  id: string;
  name: string;
  description: string;
  category: string;
  series?: string;
  tier?: string;
  weight: number;
  hidden: boolean;
  startsAt?: string;
  endsAt?: string;
  prerequisites: string[];
  rule: Record<string, unknown> & { type: string };
  version?: number;
}

export default function Catalogue(_props: PageProps) {
  usePageTitle('Achievement catalogue');
  return (
    <OperatorGate title="Achievement catalogue">
      <Body />
    </OperatorGate>
  );
}

function Body() {
  const mayEdit = useOperatorMay('achievements:admin') !== false;
  const state = useApi<{ items: Definition[] }>('/v1/achievements', {
    operator: true,
    check: isList,
  });
  return (
    <section>
      <h1>Achievement catalogue</h1>
      {mayEdit ? (
        <p>
          <Link className="button" to="/ops/catalogue/new">
            New achievement
          </Link>
        </p>
      ) : (
        <NeedsScope what="Creating or changing achievements" scope="achievements:admin" />
      )}
      <Loaded state={state} what="the catalogue">
        {(d) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Achievements</caption>
              <thead>
                <tr>
                  <th scope="col">Achievement</th>
                  <th scope="col">Category</th>
                  <th scope="col">Rule</th>
                  <th scope="col" className="num">
                    Weight
                  </th>
                  <th scope="col" className="num">
                    Version
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">
                      <Link to={`/ops/catalogue/${encodeURIComponent(a.id)}`}>{a.name}</Link>{' '}
                      <code className="small">{a.id}</code>{' '}
                      {a.hidden ? <Pill tone="muted">hidden</Pill> : null}
                    </th>
                    <td>{a.category}</td>
                    <td>
                      {a.rule.type}
                      {typeof a.rule.target === 'number' ? ` × ${a.rule.target}` : ''}
                    </td>
                    <td className="num">{a.weight}</td>
                    <td className="num">{a.version ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </section>
  );
}
