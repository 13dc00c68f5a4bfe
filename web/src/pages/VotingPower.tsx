/** A member's voting power and its breakdown (GET /v1/voting-power/:address). */
import { useApi } from '../hooks.ts';
import { type PageProps, usePageTitle } from '../page.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Address, BlockNumber, formatNumber, Loaded, Loading } from '../ui.tsx';

export interface Power {
  address: string;
  block: string;
  total: string;
  own: string;
  ownCounted: boolean;
  delegatedTo: string | null;
  badges: { tokenId: string; achievementId: string | null; weight: string }[];
  delegations: { delegator: string; power: string }[];
}

export default function VotingPower({ query }: PageProps) {
  usePageTitle('Voting power');
  const { session } = useSession();
  const address = query.get('address') ?? session?.address ?? null;
  const power = useApi<Power>(address ? `/v1/voting-power/${address}` : null, {
    check: (b) => typeof (b as Power).total === 'string',
  });
  return (
    <section>
      <h1>Voting power</h1>
      {!address ? (
        session === undefined ? (
          <Loading what="your session" />
        ) : (
          <p>
            <Link to="/sign-in?next=/voting-power">Sign in</Link> to see your voting power.
          </p>
        )
      ) : (
        <Loaded state={power} what="voting power" module="governance">
          {(p) => (
            <>
              <p className="big-number">
                <span data-testid="power-total">{formatNumber(p.total)}</span>{' '}
                <span className="muted small">
                  at <BlockNumber value={p.block} />
                </span>
              </p>
              <p className="muted">
                Member <Address value={p.address} />
              </p>
              <div className="grid-2">
                <div className="card">
                  <h2>Own badges {p.ownCounted ? null : <span className="muted">(delegated away)</span>}</h2>
                  {p.delegatedTo ? (
                    <p>
                      Delegated to <Address value={p.delegatedTo} />: your {formatNumber(p.own)} counts for
                      them. <Link to="/delegation">Change</Link>
                    </p>
                  ) : null}
                  {p.badges.length === 0 ? <p className="muted">No badge at this block.</p> : null}
                  <table>
                    <caption className="sr-only">Badges and their weights</caption>
                    <thead>
                      <tr>
                        <th scope="col">Badge</th>
                        <th scope="col">Achievement</th>
                        <th scope="col" className="num">
                          Weight
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {p.badges.map((b) => (
                        <tr key={b.tokenId}>
                          <td>#{b.tokenId}</td>
                          <td>{b.achievementId ?? <span className="muted">unknown</span>}</td>
                          <td className="num">{formatNumber(b.weight)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <div className="card">
                  <h2>Delegated to you</h2>
                  {p.delegations.length === 0 ? (
                    <p className="muted">Nobody delegates to this member.</p>
                  ) : null}
                  <ul className="plain">
                    {p.delegations.map((d) => (
                      <li key={d.delegator}>
                        <Address value={d.delegator} /> — {formatNumber(d.power)}
                      </li>
                    ))}
                  </ul>
                </div>
              </div>
            </>
          )}
        </Loaded>
      )}
    </section>
  );
}
