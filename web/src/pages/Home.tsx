import type { PageProps } from '../page.ts';
import { usePageTitle } from '../page.ts';
import { Link } from '../router.tsx';
import { SignInPanel } from '../SignInPanel.tsx';
import { useSession } from '../session.tsx';

export default function Home(_props: PageProps) {
  usePageTitle('Welcome');
  const { session } = useSession();
  return (
    <section>
      <h1>Welcome to the cb community console</h1>
      <p className="lead">
        Earn badges for what you do in the community, and vote on proposals with the power your badges give
        you.
      </p>
      <p className="small muted">
        On call? The <Link to="/ops/health">operators' console</Link> takes an API key.
      </p>
      {session ? (
        <ul className="tiles">
          <li>
            <Link className="tile" to="/achievements">
              <strong>My achievements</strong>
              <span>Badges earned, and how far you are from the next ones.</span>
            </Link>
          </li>
          <li>
            <Link className="tile" to="/proposals">
              <strong>Proposals</strong>
              <span>Read, follow the tally live, and vote.</span>
            </Link>
          </li>
          <li>
            <Link className="tile" to="/voting-power">
              <strong>My voting power</strong>
              <span>What each badge and delegation adds.</span>
            </Link>
          </li>
        </ul>
      ) : (
        <SignInPanel />
      )}
    </section>
  );
}
