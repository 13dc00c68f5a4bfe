/**
 * The Server-Sent Events streams of one process, and the one poller that feeds them all.
 *
 * Changes are made by other processes (workers process events, the minter and the listener move
 * mints), so the hub reads them from the database: every `pollIntervalMs`, while streams are open,
 * one statement reads the status of every watched event and one reads the member feed after the
 * hub's position (migrations/0011_achievement_feed.sql) — whatever the number of streams; what it
 * reads is handed to the streams in memory. Nothing is read while no stream is open.
 *
 * Why polling rather than LISTEN/NOTIFY (which PGlite supports too, in-process): the feed must be
 * stored anyway for Last-Event-ID, a poll works the same on both drivers and through a transaction
 * pooler, and needs no connection held per process; a NOTIFY could later shorten the wait.
 *
 * Limits: at most `maxStreams` open (more: 503 ACH_STREAMS_EXHAUSTED), each for at most
 * `maxLifetimeMs` (±10 %, so reconnections spread), a `: ping` comment every `heartbeatMs`, and
 * {@link StreamHub.close} ends them all (the server's close would otherwise wait for them).
 */
import type { FastifyReply } from 'fastify';
import type { Db } from '../../platform/db/create-db.ts';
import { UnavailableError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import {
  compareFeedPositions,
  type FeedPosition,
  formatFeedPosition,
  laterFeedPosition,
} from './feed-position.ts';
import { openSse, type SseResponse } from './open-sse.ts';
import {
  type EventKey,
  type EventStatus,
  eventKeyOf,
  isFinalEventStatus,
  readEventStatuses,
} from './read-event-statuses.ts';
import { type FeedItem, readFeedHorizon, readMemberFeed } from './read-member-feed.ts';

export interface StreamSettings {
  /** Streams open at once in this process. @defaultValue 300 (CB_SSE_MAX_STREAMS) */
  maxStreams: number;
  /** Longest life of a stream, ms; each gets 90-100 % of it. @defaultValue 600_000 (CB_SSE_MAX_STREAM_MS) */
  maxLifetimeMs: number;
  /** Interval of the shared read, ms. @defaultValue 500 (CB_SSE_POLL_INTERVAL_MS) */
  pollIntervalMs: number;
  /** Interval of the `: ping` comments, ms. @defaultValue 15_000 */
  heartbeatMs: number;
  /** How long an event stream waits for an event not received yet, ms. @defaultValue 30_000 */
  unknownEventWaitMs: number;
  /** Reconnection delay sent to clients (`retry:`), ms. @defaultValue 2000 */
  retryMs: number;
}

export const DEFAULT_STREAM_SETTINGS: Readonly<StreamSettings> = {
  maxStreams: 300,
  maxLifetimeMs: 600_000,
  pollIntervalMs: 500,
  heartbeatMs: 15_000,
  unknownEventWaitMs: 30_000,
  retryMs: 2000,
};

/** Feed items read per statement. */
const FEED_PAGE = 1000;
/** Retry-After of a refused stream, s: a slot frees when a stream ends. */
const FULL_RETRY_AFTER_SECONDS = 5;

export interface StreamHub {
  /**
   * `status` events (the body of GET /v1/events/:id) for one event: its status now, then each
   * change; ends after `processed` or `failed`. An event not received yet is waited for up to
   * `unknownEventWaitMs`, then `timeout` and the end.
   */
  openEventStream(reply: FastifyReply, key: EventKey): Promise<void>;
  /**
   * `unlocked` and `mint` events of one member, each with its feed position as id. With `after`
   * (the client's Last-Event-ID) what came after it first, exactly once; `ready` (id: the position
   * the stream is live from) once caught up; `reset` first when `after` is not of this database.
   */
  openMemberStream(reply: FastifyReply, user: string, after: FeedPosition | undefined): Promise<void>;
  /** Streams open now. */
  readonly openStreams: number;
  /** Ends every stream and stops polling; new streams are refused. */
  close(): Promise<void>;
}

export interface StreamHubDeps {
  db: Db;
  metrics: Pick<Metrics, 'sseStreams'>;
  logger: Logger;
  settings?: Partial<StreamSettings> | undefined;
}

interface StreamBase {
  sse: SseResponse | undefined;
  done: boolean;
  release: () => void;
  timer?: NodeJS.Timeout | undefined;
}

interface EventStream extends StreamBase {
  kind: 'event';
  key: EventKey;
  mapKey: string;
  /** The status last sent. */
  last: EventStatus['status'] | undefined;
  /** When to give up on an event not received yet (ms since epoch). */
  deadline: number;
}

interface MemberStream extends StreamBase {
  kind: 'member';
  user: string;
  /** The position of the last item sent (or the position the stream went live from). */
  cursor: FeedPosition;
  /** Items read for it while it caught up, sent once it has. */
  pending: FeedItem[] | undefined;
}

type Stream = EventStream | MemberStream;

const shuttingDown = () => new UnavailableError('CB_SHUTTING_DOWN', 'this instance is shutting down');

export function createStreamHub(deps: StreamHubDeps): StreamHub {
  const { db, logger } = deps;
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...deps.settings };
  const gauge = deps.metrics.sseStreams;
  gauge.set({ stream: 'event' }, 0);
  gauge.set({ stream: 'member' }, 0);

  let reserved = 0;
  const all = new Set<Stream>();
  const events = new Map<string, Set<EventStream>>();
  const members = new Map<string, Set<MemberStream>>();
  /** The feed is read after this position; undefined while no member stream is open. */
  let feedCursor: FeedPosition | undefined;
  let feedStarting: Promise<void> | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closing = false;
  let failing = false;

  /** Takes a slot or refuses (before anything is written: the refusal is a normal error reply). */
  function reserve(reply: FastifyReply, kind: Stream['kind']): () => void {
    if (closing) throw shuttingDown();
    if (reserved >= settings.maxStreams) {
      reply.header('retry-after', String(FULL_RETRY_AFTER_SECONDS));
      throw new UnavailableError(
        'ACH_STREAMS_EXHAUSTED',
        `this instance has its maximum of ${settings.maxStreams} streams open (CB_SSE_MAX_STREAMS)`,
      );
    }
    reserved++;
    gauge.inc({ stream: kind });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      reserved--;
      gauge.dec({ stream: kind });
    };
  }

  function add(stream: Stream): void {
    all.add(stream);
    if (stream.kind === 'event') {
      const set = events.get(stream.mapKey) ?? new Set();
      set.add(stream);
      events.set(stream.mapKey, set);
    } else {
      const set = members.get(stream.user) ?? new Set();
      set.add(stream);
      members.set(stream.user, set);
    }
    stream.timer = setTimeout(() => finish(stream), settings.maxLifetimeMs * (0.9 + Math.random() * 0.1));
    stream.timer.unref();
    if (!heartbeat) {
      heartbeat = setInterval(() => {
        for (const s of all) s.sse?.comment('ping');
      }, settings.heartbeatMs);
      heartbeat.unref();
    }
    schedule();
  }

  /** Ends a stream and forgets it; safe to call again. */
  function finish(stream: Stream): void {
    if (stream.done) return;
    stream.done = true;
    clearTimeout(stream.timer);
    if (all.delete(stream)) {
      const map: Map<string, Set<Stream>> = stream.kind === 'event' ? events : members;
      const key = stream.kind === 'event' ? stream.mapKey : stream.user;
      const set = map.get(key);
      set?.delete(stream);
      if (set?.size === 0) map.delete(key);
    }
    if (members.size === 0) feedCursor = undefined;
    if (all.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
    stream.release();
    stream.sse?.end();
  }

  function schedule(): void {
    if (tickTimer || ticking || closing || all.size === 0) return;
    tickTimer = setTimeout(() => {
      tickTimer = undefined;
      ticking = tick().finally(() => {
        ticking = undefined;
        schedule();
      });
    }, settings.pollIntervalMs);
    tickTimer.unref();
  }

  async function tick(): Promise<void> {
    try {
      if (events.size > 0) await pollEvents();
      if (feedCursor && members.size > 0) await pollFeed();
      if (failing) logger.info('reading changes for the open streams works again');
      failing = false;
    } catch (err) {
      if (!failing) logger.warn('reading changes for the open streams failed; retrying', { err });
      failing = true;
    }
  }

  function pushStatus(stream: EventStream, status: EventStatus): void {
    if (status.status !== stream.last) {
      stream.sse?.send('status', status);
      stream.last = status.status;
    }
    if (isFinalEventStatus(status)) finish(stream);
  }

  async function pollEvents(): Promise<void> {
    const keys = [...events.values()].map((set) => set.values().next().value!.key);
    const statuses = await readEventStatuses(db, keys);
    const now = Date.now();
    for (const [mapKey, set] of events) {
      const status = statuses.get(mapKey);
      for (const stream of [...set]) {
        if (status) pushStatus(stream, status);
        else if (now >= stream.deadline) {
          stream.sse?.send('timeout', {
            id: stream.key.id,
            source: stream.key.source,
            waitedMs: settings.unknownEventWaitMs,
          });
          finish(stream);
        }
      }
    }
  }

  function deliver(stream: MemberStream, item: FeedItem): void {
    if (stream.done) return;
    if (stream.pending) {
      stream.pending.push(item);
      return;
    }
    if (compareFeedPositions(item.position, stream.cursor) <= 0) return;
    stream.sse?.send(item.kind, item.data, formatFeedPosition(item.position));
    stream.cursor = item.position;
  }

  async function pollFeed(): Promise<void> {
    for (;;) {
      const from = feedCursor;
      if (!from) return;
      const page = await readMemberFeed(db, { after: from, limit: FEED_PAGE });
      for (const item of page.items) {
        const set = members.get(item.user);
        if (set) for (const stream of set) deliver(stream, item);
      }
      const full = page.items.length === FEED_PAGE;
      const next = full
        ? page.items.at(-1)!.position
        : laterFeedPosition(from, { xid: page.horizon, seq: 0n });
      // Every member stream may have closed (undefined), or one opened since, from a later position.
      if (!feedCursor) return;
      feedCursor = laterFeedPosition(feedCursor, next);
      if (!full) return;
    }
  }

  async function startFeed(): Promise<void> {
    try {
      const horizon = await readFeedHorizon(db);
      feedCursor ??= { xid: horizon, seq: 0n };
    } finally {
      feedStarting = undefined;
    }
  }

  return {
    async openEventStream(reply, key) {
      const release = reserve(reply, 'event');
      let now: EventStatus | undefined;
      try {
        now = (await readEventStatuses(db, [key])).get(eventKeyOf(key));
        if (closing) throw shuttingDown();
      } catch (err) {
        release();
        throw err;
      }
      const stream: EventStream = {
        kind: 'event',
        key,
        mapKey: eventKeyOf(key),
        last: undefined,
        deadline: Date.now() + settings.unknownEventWaitMs,
        sse: undefined,
        done: false,
        release,
      };
      stream.sse = openSse(reply, { retryMs: settings.retryMs, onClose: () => finish(stream) });
      if (now) pushStatus(stream, now);
      if (!stream.done) add(stream);
    },

    async openMemberStream(reply, user, after) {
      const release = reserve(reply, 'member');
      const stream: MemberStream = {
        kind: 'member',
        user,
        cursor: { xid: 0n, seq: 0n },
        pending: [],
        sse: undefined,
        done: false,
        release,
      };
      let reset = false;
      const caughtUp: FeedItem[] = [];
      try {
        while (!feedCursor) {
          feedStarting ??= startFeed();
          await feedStarting;
        }
        if (closing) throw shuttingDown();
        // From here on the poller hands this stream everything it reads (kept in `pending`), and
        // everything below the horizon of the catch-up read comes from that read: nothing falls
        // between the two; what both have is sent once (by position).
        stream.cursor = feedCursor;
        add(stream);
        if (after) {
          let position = after;
          for (;;) {
            const page = await readMemberFeed(db, { after: position, user, limit: FEED_PAGE });
            if (position === after && after.xid >= page.nextXid) {
              // A position no transaction of this database has reached: another database (a
              // restore into a new cluster). The client reloads; the stream starts now.
              reset = true;
              break;
            }
            caughtUp.push(...page.items);
            if (page.items.length < FEED_PAGE) {
              position = laterFeedPosition(position, { xid: page.horizon, seq: 0n });
              break;
            }
            position = page.items.at(-1)!.position;
          }
          if (!reset) stream.cursor = position;
        }
        if (stream.done) throw shuttingDown();
      } catch (err) {
        finish(stream);
        release();
        throw err;
      }
      stream.sse = openSse(reply, { retryMs: settings.retryMs, onClose: () => finish(stream) });
      if (reset) stream.sse.send('reset', { reason: 'Last-Event-ID is not from this database: reload' });
      for (const item of caughtUp) stream.sse.send(item.kind, item.data, formatFeedPosition(item.position));
      stream.sse.send('ready', { user }, formatFeedPosition(stream.cursor));
      const pending = stream.pending ?? [];
      stream.pending = undefined;
      for (const item of pending) deliver(stream, item);
    },

    get openStreams() {
      return reserved;
    },

    async close() {
      closing = true;
      clearTimeout(tickTimer);
      tickTimer = undefined;
      for (const stream of [...all]) finish(stream);
      await ticking;
    },
  };
}
