/**
 * The console's frame: skip link, header with navigation (a menu button on narrow screens) and the
 * member's session, then the current page — each page a lazily loaded chunk, so the first page
 * loads only what it shows. Navigation reports a page view and moves focus to the page.
 */
import {
  type ComponentType,
  type LazyExoticComponent,
  lazy,
  Suspense,
  useEffect,
  useRef,
  useState,
} from 'react';
import type { ConsolePage } from '../../src/web/rum-catalogue.ts';
import type { PageProps } from './page.ts';
import { Link, matchPage, useLocation } from './router.tsx';
import { rumPageView } from './rum.ts';
import { useSession } from './session.tsx';
import { Address, ErrorBoundary, Loading } from './ui.tsx';

type Page = LazyExoticComponent<ComponentType<PageProps>>;

const PAGES: Record<ConsolePage, Page> = {
  '/': lazy(() => import('./pages/Home.tsx')),
  '/sign-in': lazy(() => import('./pages/SignInPage.tsx')),
  '/achievements': lazy(() => import('./pages/Achievements.tsx')),
  '/proposals': lazy(() => import('./pages/Proposals.tsx')),
  '/proposals/:id': lazy(() => import('./pages/ProposalDetail.tsx')),
  '/voting-power': lazy(() => import('./pages/VotingPower.tsx')),
  '/delegation': lazy(() => import('./pages/Delegation.tsx')),
  '/ops': lazy(() => import('./pages/ops/Health.tsx')),
  '/ops/health': lazy(() => import('./pages/ops/Health.tsx')),
  '/ops/incidents': lazy(() => import('./pages/ops/Incidents.tsx')),
  '/ops/incidents/:id': lazy(() => import('./pages/ops/IncidentDetail.tsx')),
  '/ops/queues': lazy(() => import('./pages/ops/Queues.tsx')),
  '/ops/queues/:queue': lazy(() => import('./pages/ops/QueueDetail.tsx')),
  '/ops/chain': lazy(() => import('./pages/ops/Chain.tsx')),
  '/ops/backups': lazy(() => import('./pages/ops/Backups.tsx')),
  '/ops/audit': lazy(() => import('./pages/ops/Audit.tsx')),
  '/ops/logs': lazy(() => import('./pages/ops/Logs.tsx')),
  '/ops/catalogue': lazy(() => import('./pages/ops/Catalogue.tsx')),
  '/ops/catalogue/new': lazy(() => import('./pages/ops/CatalogueEditor.tsx')),
  '/ops/catalogue/:id': lazy(() => import('./pages/ops/CatalogueEditor.tsx')),
};

const MEMBER_LINKS = [
  ['/achievements', 'Achievements'],
  ['/proposals', 'Proposals'],
  ['/voting-power', 'Voting power'],
  ['/delegation', 'Delegation'],
] as const;

const OPERATOR_LINKS = [
  ['/ops/health', 'Health'],
  ['/ops/incidents', 'Incidents'],
  ['/ops/queues', 'Queues'],
  ['/ops/chain', 'Chain'],
  ['/ops/backups', 'Backups'],
  ['/ops/audit', 'Audit'],
  ['/ops/logs', 'Logs'],
  ['/ops/catalogue', 'Catalogue'],
] as const;

function SessionBadge() {
  const { session, signOut } = useSession();
  const [error, setError] = useState<string>();
  if (session === undefined) return <span className="muted small">…</span>;
  if (!session)
    return (
      <Link className="button button-small" to={`/sign-in?next=${encodeURIComponent(location.pathname)}`}>
        Sign in
      </Link>
    );
  return (
    <span className="session">
      <span className="small">
        Signed in as <Address value={session.address} />
      </span>
      <button
        type="button"
        className="button button-small button-quiet"
        onClick={() => signOut().catch((e: Error) => setError(e.message))}
      >
        Sign out
      </button>
      {error ? <span role="alert">{error}</span> : null}
    </span>
  );
}

export function App() {
  const { path, query } = useLocation();
  const match = matchPage(path);
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(path);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    rumPageView(path);
    setMenuOpen(false);
    // Not on the first page (the browser's own focus order applies), on every navigation after.
    if (shownPath.current !== path) {
      shownPath.current = path;
      main.current?.focus();
    }
  }, [path]);

  const PageComponent = match ? PAGES[match.page] : undefined;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="top-row">
          <Link className="brand" to="/" exact>
            <span aria-hidden="true" className="brand-mark" />
            cb console
          </Link>
          <button
            type="button"
            className="button button-quiet menu-button"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            Menu
          </button>
          <SessionBadge />
        </div>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
          <ul aria-label="Members">
            {MEMBER_LINKS.map(([to, label]) => (
              <li key={to}>
                <Link to={to}>{label}</Link>
              </li>
            ))}
          </ul>
          <ul aria-label="Operators" className="nav-ops">
            {OPERATOR_LINKS.map(([to, label]) => (
              <li key={to}>
                <Link to={to}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary key={path}>
          <Suspense fallback={<Loading what="the page" />}>
            {PageComponent && match ? (
              <PageComponent params={match.params} query={query} />
            ) : (
              <section>
                <h1>Page not found</h1>
                <p>
                  There is no page at <code>{path}</code>. <Link to="/">Go to the start page</Link>.
                </p>
              </section>
            )}
          </Suspense>
        </ErrorBoundary>
      </main>
      <footer className="foot small muted">
        cb platform · <a href="/openapi.json">API reference</a>
      </footer>
    </>
  );
}
