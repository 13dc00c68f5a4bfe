/**
 * Real-user monitoring in the browser: Web Vitals (FCP, LCP, INP, CLS, TTFB from `web-vitals`;
 * FID from the `first-input` entry where the browser has it; page load from Navigation Timing),
 * API calls as the browser saw them, JavaScript errors, page views, time on page, feature use,
 * the session's outcome (bounced or engaged) and conversions — queued and sent to `POST /v1/rum`
 * in batches: every `flushIntervalMs`, at 50 items, and with `sendBeacon` when the page is hidden.
 *
 * Labels are the bounded patterns of src/web/rum-catalogue.ts (the server clamps them again).
 * Vitals are attributed to the page the document was loaded on. Time on page is reported per
 * visible stretch (a page left, or the tab hidden). A session (this tab, sessionStorage) is
 * `engaged` at its second page view and `bounced` when it is first hidden after one; either is
 * reported once, with the page the session landed on (the server counts it by page type, which
 * the bounce-rate levels are set per). Conversions: each goal at most once per session.
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals';
import { type ApiOutcome, type Feature, type Goal, pageOf, type Vital } from '../../src/web/rum-catalogue.ts';

type Item =
  | { t: 'vital'; name: Vital; page: string; ms: number }
  | { t: 'cls'; page: string; value: number }
  | { t: 'api'; route: string; ms: number; outcome: ApiOutcome }
  | { t: 'error'; page: string }
  | { t: 'view'; page: string }
  | { t: 'time'; page: string; ms: number }
  | { t: 'feature'; name: Feature }
  | { t: 'session'; outcome: 'bounced' | 'engaged'; page: string }
  | { t: 'conversion'; goal: Goal };

interface SessionState {
  id: string;
  views: number;
  /** The page of the first view: kept across reloads of the tab, which count as later views. */
  landing?: string;
  outcomeSent: boolean;
  signedIn: boolean;
  goals: string[];
}

const SESSION_KEY = 'cb.rum';
const MAX_BATCH = 50;
let endpoint = '/v1/rum';
const queue: Item[] = [];
let timer: ReturnType<typeof setInterval> | undefined;
let landingPage = 'other';
let currentPage: string | undefined;
let visibleSince = performance.now();
let visibleMs = 0;
let state: SessionState;

function loadState(): SessionState {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as SessionState | null;
    if (saved && typeof saved.id === 'string') return saved;
  } catch {
    // storage unavailable or corrupt: start a new session
  }
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return {
    id: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
    views: 0,
    outcomeSent: false,
    signedIn: false,
    goals: [],
  };
}

function saveState(): void {
  try {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state));
  } catch {
    // private mode: the session lasts as long as the page
  }
}

function push(item: Item): void {
  queue.push(item);
  if (queue.length >= MAX_BATCH) flush(false);
}

/** Sends what is queued: with sendBeacon when the page is going away, else a keepalive fetch. */
export function flush(beacon: boolean): void {
  if (queue.length === 0) return;
  const body = JSON.stringify({ sessionId: state.id, items: queue.splice(0, 200) });
  if (beacon && typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(endpoint, body)) return;
  void fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    keepalive: true,
    credentials: 'same-origin',
  }).catch(() => undefined);
}

function endVisibleStretch(): void {
  if (currentPage === undefined) return;
  const ms = visibleMs + (document.visibilityState === 'visible' ? performance.now() - visibleSince : 0);
  visibleMs = 0;
  visibleSince = performance.now();
  if (ms >= 100) push({ t: 'time', page: currentPage, ms: Math.round(ms) });
}

function onHidden(): void {
  endVisibleStretch();
  if (!state.outcomeSent && state.views <= 1) {
    state.outcomeSent = true;
    saveState();
    push({ t: 'session', outcome: 'bounced', page: state.landing ?? landingPage });
  }
  flush(true);
  // web-vitals reports LCP, CLS and INP from its own listeners of this same event.
  setTimeout(() => flush(true), 0);
}

function vital(name: Vital) {
  return (metric: { value: number }) =>
    push({ t: 'vital', name, page: landingPage, ms: Math.round(metric.value) });
}

/** Starts collecting; call once, before the first render. */
export function initRum(options: { endpoint?: string; flushIntervalMs?: number } = {}): void {
  endpoint = options.endpoint ?? endpoint;
  state = loadState();
  landingPage = pageOf(location.pathname);
  onFCP(vital('FCP'));
  onLCP(vital('LCP'));
  onINP(vital('INP'));
  onTTFB(vital('TTFB'));
  onCLS((metric) => push({ t: 'cls', page: landingPage, value: Math.round(metric.value * 10_000) / 10_000 }));
  try {
    new PerformanceObserver((list) => {
      const entry = list.getEntries()[0] as PerformanceEventTiming | undefined;
      if (entry)
        push({
          t: 'vital',
          name: 'FID',
          page: landingPage,
          ms: Math.round(entry.processingStart - entry.startTime),
        });
    }).observe({ type: 'first-input', buffered: true });
  } catch {
    // no first-input entries in this browser: FID is not reported
  }
  const reportLoad = () =>
    setTimeout(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      if (nav && nav.loadEventEnd > 0)
        push({
          t: 'vital',
          name: 'page_load',
          page: landingPage,
          ms: Math.round(nav.loadEventEnd - nav.startTime),
        });
    }, 0);
  if (document.readyState === 'complete') reportLoad();
  else addEventListener('load', reportLoad, { once: true });

  addEventListener('error', () => rumError());
  addEventListener('unhandledrejection', () => rumError());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') onHidden();
    else visibleSince = performance.now();
  });
  addEventListener('pagehide', () => flush(true));
  timer ??= setInterval(() => flush(false), options.flushIntervalMs ?? 10_000);
}

/** Changes the flush interval (from GET /v1/web/config). */
export function setRumFlushInterval(ms: number): void {
  if (timer) clearInterval(timer);
  timer = setInterval(() => flush(false), Math.max(1000, ms));
}

/** A page view of `path` (a browser path; reported as its route pattern). */
export function rumPageView(path: string): void {
  const page = pageOf(path);
  if (page === currentPage) return;
  endVisibleStretch();
  currentPage = page;
  state.views += 1;
  state.landing ??= page;
  push({ t: 'view', page });
  if (state.views >= 2 && !state.outcomeSent) {
    state.outcomeSent = true;
    push({ t: 'session', outcome: 'engaged', page: state.landing ?? landingPage });
  }
  saveState();
}

/** An API call as the browser saw it. */
export function rumApi(route: string, ms: number, outcome: ApiOutcome): void {
  push({ t: 'api', route, ms: Math.max(0, Math.round(ms)), outcome });
}

/** A JavaScript error on the current page. */
export function rumError(): void {
  push({ t: 'error', page: currentPage ?? landingPage });
}

/** A use of a console feature. */
export function rumFeature(name: Feature): void {
  push({ t: 'feature', name });
}

/** Marks the session as signed in (for the *_after_sign_in goals) and reaches `sign_in_completed`. */
export function rumSignedIn(): void {
  state.signedIn = true;
  saveState();
  rumGoal('sign_in_completed');
}

/** Reaches a goal (once per session); the `*_after_sign_in` goals need a sign-in in this session. */
export function rumGoal(goal: Goal): void {
  if (state.goals.includes(goal)) return;
  if (goal.endsWith('_after_sign_in') && !state.signedIn) return;
  state.goals.push(goal);
  saveState();
  push({ t: 'conversion', goal });
}
