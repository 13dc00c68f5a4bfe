/**
 * A small history router: `useLocation()` re-renders on navigation, `navigate()` pushes a path,
 * `<Link>` is an ordinary link that navigates without reloading (modified clicks keep the
 * browser's behaviour), `matchPage()` finds the console page pattern and its parameters.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';
import { CONSOLE_PAGES, type ConsolePage, matchPattern } from '../../src/web/rum-catalogue.ts';

const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};
addEventListener('popstate', notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => location.pathname + location.search;

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const [path, search = ''] = href.split('?', 2);
  return { path: path ?? '/', query: new URLSearchParams(search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  scrollTo(0, 0);
  notify();
}

export function matchPage(path: string): { page: ConsolePage; params: Record<string, string> } | undefined {
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const page of CONSOLE_PAGES) {
    const params = matchPattern(page, clean);
    if (params) return { page, params };
  }
  return undefined;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; exact?: boolean };

export function Link({ to, exact, onClick, children, ...rest }: LinkProps) {
  const { path } = useLocation();
  const target = to.split('?', 1)[0]!;
  const active = exact || target === '/' ? path === target : path === target || path.startsWith(`${target}/`);
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} aria-current={active ? 'page' : undefined} {...rest}>
      {children}
    </a>
  );
}
