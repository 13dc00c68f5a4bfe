/** Small shared pieces of the console's pages. */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ApiError, isNotAvailable } from './api.ts';
import { rumError } from './rum.ts';
import { useExplorerUrl } from './session.tsx';

/** An error as the user should see it: the API's code and message, and each field problem. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const issues = (api?.details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{title ?? 'Something went wrong'}</strong>
        {api ? (
          <>
            {' '}
            <code className="code">{api.code}</code>
            {api.status > 0 ? <span className="muted"> (HTTP {api.status})</span> : null}
          </>
        ) : null}
      </p>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {issues && issues.length > 0 ? (
        <ul>
          {issues.map((i) => (
            <li key={`${i.path}:${i.message}`}>
              <code>{i.path}</code>: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The outcome of a page's last action (useAction): its line, or why it was refused. */
export function ActionOutcome({
  state,
  refused,
}: {
  state: { done?: string | undefined; error: unknown };
  refused: string;
}) {
  return (
    <>
      {state.done ? (
        <p className="notice notice-ok" role="status">
          {state.done}
        </p>
      ) : null}
      <ErrorNotice error={state.error} title={refused} />
    </>
  );
}

/**
 * A page action's button on its own `.actions` row: disabled while any of the page's actions runs
 * (useAction's `busy`), showing `busyLabel` while this one does.
 */
export function ActionButton(props: {
  label: string;
  busyLabel: string;
  running: boolean;
  anyRunning: boolean;
  onClick: () => void;
  small?: boolean;
}) {
  return (
    <div className="actions">
      <button
        type="button"
        className={props.small ? 'button button-small' : 'button'}
        disabled={props.anyRunning}
        onClick={props.onClick}
      >
        {props.running ? props.busyLabel : props.label}
      </button>
    </div>
  );
}

/** The page's data, its loading state, or its error — with "not available yet" for missing APIs. */
export function Loaded<T>(props: {
  state: { data: T | undefined; error: unknown; loading: boolean };
  what: string;
  module?: string;
  children: (data: T) => ReactNode;
}) {
  const { data, error, loading } = props.state;
  if (error && isNotAvailable(error)) return <NotAvailable module={props.module ?? props.what} />;
  if (error && data === undefined)
    return <ErrorNotice error={error} title={`Could not load ${props.what}`} />;
  if (data === undefined) return loading ? <Loading what={props.what} /> : null;
  return (
    <>
      {error ? <ErrorNotice error={error} title={`Could not refresh ${props.what}`} /> : null}
      {props.children(data)}
    </>
  );
}

export function NotAvailable({ module }: { module: string }) {
  return (
    <div className="notice notice-info" role="status">
      <p>
        <strong>The {module} API is not available on this server yet.</strong>
      </p>
      <p>This page works as soon as the server provides it; nothing shown here is made up meanwhile.</p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ProgressBar(props: { value: number; max: number; label: string; tone?: string }) {
  const pct = props.max > 0 ? Math.min(100, (props.value / props.max) * 100) : 0;
  return (
    <div
      className={`bar ${props.tone ?? ''}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={props.max}
      aria-valuenow={props.value}
      aria-valuetext={`${formatNumber(props.value)} of ${formatNumber(props.max)}`}
    >
      <span style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Pill({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`pill pill-${tone}`}>{children}</span>;
}

/**
 * An address or a transaction hash, shortened (the whole value as its title); a link to it on the
 * block explorer when the server has one (CB_EXPLORER_URL).
 */
export function Address({ value }: { value: string }) {
  const explorer = useExplorerUrl();
  const code = (
    <code className="address" title={value}>
      {/^0x[0-9a-fA-F]{40,64}$/.test(value) ? `${value.slice(0, 6)}…${value.slice(-4)}` : value}
    </code>
  );
  const path = /^0x[0-9a-fA-F]{40}$/.test(value)
    ? 'address'
    : /^0x[0-9a-fA-F]{64}$/.test(value)
      ? 'tx'
      : undefined;
  return explorer && path ? <ExplorerLink href={`${explorer}/${path}/${value}`}>{code}</ExplorerLink> : code;
}

/** A block number; a link to the block on the explorer when there is one. */
export function BlockNumber({ value }: { value: string | number }) {
  const explorer = useExplorerUrl();
  const text = `block ${value}`;
  return explorer && /^\d+$/.test(String(value)) ? (
    <ExplorerLink href={`${explorer}/block/${value}`}>{text}</ExplorerLink>
  ) : (
    text
  );
}

function ExplorerLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a className="explorer-link" href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

export function formatNumber(n: number | string, digits = 2): string {
  const v = typeof n === 'string' ? Number(n) : n;
  if (!Number.isFinite(v)) return String(n);
  return v.toLocaleString('en', { maximumFractionDigits: digits });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

/** Catches a page's render errors: reports them and shows what happened instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(_error: Error, _info: ErrorInfo) {
    rumError();
  }
  override render() {
    if (this.state.error) return <ErrorNotice error={this.state.error} title="This page failed" />;
    return this.props.children;
  }
}
