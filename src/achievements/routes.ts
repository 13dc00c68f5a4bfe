/**
 * HTTP routes of the achievement engine (mounted by the composition root under the API's plugins):
 *
 * - `POST /v1/events` (scope `events:write`): one event or `{ events: [...] }` up to 1000; 202 with
 *   a result per item. Items are validated one by one, so the schema here is deliberately loose.
 * - `GET /v1/events/:id?source=` (`events:read`): received, processed, or failed with the error;
 *   `GET /v1/events/:id/stream?source=` pushes it (Server-Sent Events) until it is final.
 * - `POST /v1/achievements`, `PUT /v1/achievements/:id` (`achievements:admin`): save a definition
 *   (a change is a new version); 422 with the path of every bad field.
 * - `GET /v1/achievements` and `GET /v1/achievements/:id` (public; hidden ones need the admin
 *   scope) with stats; `GET /v1/achievements/:id/versions` (`achievements:admin`).
 * - `GET /v1/users/:address/achievements` and `…/:id/explain` (public: badges are public on chain);
 *   `GET /v1/users/:address/achievements/stream` pushes the member's unlocks and mint changes.
 *
 * The streams (streams/create-stream-hub.ts) end when the app closes (`preClose`), so a shutdown
 * never waits on them.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { scopeAllows } from '../platform/apikeys/index.ts';
import type { Db } from '../platform/db/create-db.ts';
import { BaseError, NotFoundError, ValidationError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { normalizeAddress } from './address.ts';
import { type SavedAchievement, saveAchievements } from './catalogue/save-achievements.ts';
import type { Catalogue } from './engine/catalogue.ts';
import { ingestEvents } from './events/ingest-events.ts';
import { achievementStats } from './reads/achievement-stats.ts';
import { explainProgress } from './reads/explain-progress.ts';
import { listMemberAchievements, MEMBER_ACHIEVEMENT_FIELDS } from './reads/list-member-achievements.ts';
import { createStreamHub, type StreamSettings } from './streams/create-stream-hub.ts';
import { parseFeedPosition } from './streams/feed-position.ts';
import { eventKeyOf, readEventStatuses } from './streams/read-event-statuses.ts';

/** Most events accepted in one request. */
export const MAX_EVENTS_PER_REQUEST = 1000;

export interface AchievementRoutesDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  catalogue(): Promise<Catalogue>;
  /** Bounded metric label for an event type or source. */
  labelOf(kind: 'type' | 'source', value: string | undefined): string;
  /** New events were stored (wake the processor). */
  onEventsAccepted?: (() => void) | undefined;
  /** Definitions were saved (enqueue retroactive runs for those that need one). */
  onAchievementsSaved?: ((saved: SavedAchievement[]) => Promise<void>) | undefined;
  /** Limits and intervals of the Server-Sent Events streams (defaults: DEFAULT_STREAM_SETTINGS). */
  streams?: Partial<StreamSettings> | undefined;
}

const Loose = Type.Object({}, { additionalProperties: true });
const EventSourceQuery = Type.Object({
  source: Type.String({ description: 'The source the event was sent with.' }),
});
/** OpenAPI of a stream's 200: the events it sends are described in the route's description. */
const eventStream = (description: string) => ({
  200: {
    description,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  },
});
const AddressParam = Type.Object({ address: Type.String({ description: '0x address, any case' }) });

function memberAddress(raw: string): string {
  const address = normalizeAddress(raw);
  if (!address) {
    throw new ValidationError(
      'invalid address',
      [
        {
          path: 'address',
          message: 'a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum)',
        },
      ],
      'ACH_BAD_ADDRESS',
    );
  }
  return address;
}

const isAdmin = (request: FastifyRequest) =>
  request.apiKey !== undefined && scopeAllows(request.apiKey.scopes, 'achievements:admin');

export function achievementRoutes(deps: AchievementRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    const hub = createStreamHub({
      db: deps.db,
      metrics: deps.metrics,
      logger: deps.logger,
      settings: deps.streams,
    });
    // Before the server's close waits for running requests: a stream would keep it waiting.
    app.addHook('preClose', async () => {
      await hub.close();
    });

    app.post(
      '/v1/events',
      {
        config: { scope: 'events:write' },
        schema: {
          tags: ['events'],
          summary: `Submit one event, or { events: [...] } with up to ${MAX_EVENTS_PER_REQUEST}; each item gets its own result.`,
          body: Loose,
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        const items = Array.isArray(body.events) && Object.keys(body).length === 1 ? body.events : [body];
        if (items.length > MAX_EVENTS_PER_REQUEST) {
          throw new BaseError(
            'ACH_BATCH_TOO_LARGE',
            `at most ${MAX_EVENTS_PER_REQUEST} events per request, got ${items.length}`,
          );
        }
        if (items.length === 0)
          throw new ValidationError('no events', [{ path: 'events', message: 'at least one event' }]);
        const results = await ingestEvents(deps, items);
        const accepted = results.filter((r) => r.status === 'accepted').length;
        if (accepted > 0) deps.onEventsAccepted?.();
        reply.code(202);
        return {
          accepted,
          duplicates: results.filter((r) => r.status === 'duplicate').length,
          rejected: results.filter((r) => r.status === 'rejected').length,
          results,
        };
      },
    );

    app.get(
      '/v1/events/:id',
      {
        config: { scope: 'events:read' },
        schema: {
          tags: ['events'],
          summary: 'Status of an event: received, processed, or failed with the error.',
          params: Type.Object({ id: Type.String() }),
          querystring: EventSourceQuery,
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { source } = request.query as { source: string };
        const status = (await readEventStatuses(deps.db, [{ source, id }])).get(eventKeyOf({ source, id }));
        if (!status) throw new NotFoundError(`no event ${id} from source ${source}`, 'ACH_EVENT_NOT_FOUND');
        return status;
      },
    );

    app.get(
      '/v1/events/:id/stream',
      {
        config: { scope: 'events:read', stream: true },
        schema: {
          tags: ['events'],
          summary: "Server-Sent Events of an event's status until it is processed or failed.",
          description:
            '`status` events (data: the body of GET /v1/events/:id): the status now, then each change; the stream ends after `processed` or `failed` — close your EventSource then, or it reconnects. An event not received yet (subscribe, then post) is waited for up to 30 s, then `timeout` (data: `{ id, source, waitedMs }`) and the end. `: ping` comments every 15 s. 503 `ACH_STREAMS_EXHAUSTED` when the instance has CB_SSE_MAX_STREAMS open.',
          params: Type.Object({ id: Type.String() }),
          querystring: EventSourceQuery,
          response: eventStream('A text/event-stream of `status` events, or one `timeout`.'),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const { source } = request.query as { source: string };
        await hub.openEventStream(reply, { source, id });
        return reply;
      },
    );

    const save = async (request: FastifyRequest, input: unknown, mode: 'create' | 'update') => {
      const actor = request.apiKey?.name ?? 'unknown';
      const saved = await saveAchievements(deps.db, [input], { actor, mode });
      await deps.onAchievementsSaved?.(saved);
      deps.logger.info('achievement saved', { context: { ...saved[0], actor } });
      return saved[0]!;
    };

    app.post(
      '/v1/achievements',
      {
        config: { scope: 'achievements:admin' },
        schema: { tags: ['achievements'], summary: 'Create an achievement.', body: Loose },
      },
      async (request, reply) => {
        const saved = await save(request, request.body, 'create');
        reply.code(201);
        return saved;
      },
    );

    app.put(
      '/v1/achievements/:id',
      {
        config: { scope: 'achievements:admin' },
        schema: {
          tags: ['achievements'],
          summary: 'Change an achievement: a new version when anything changed.',
          params: Type.Object({ id: Type.String() }),
          body: Loose,
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const body = request.body as Record<string, unknown>;
        if (body.id !== undefined && body.id !== id) {
          throw new ValidationError('id in the body differs from the path', [
            { path: 'id', message: `must be ${id} or absent` },
          ]);
        }
        const catalogue = await deps.catalogue();
        if (!catalogue.entries.has(id))
          throw new NotFoundError(`no achievement ${id}`, 'ACH_ACHIEVEMENT_NOT_FOUND');
        return save(request, { ...body, id }, 'update');
      },
    );

    app.get(
      '/v1/achievements',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['achievements'],
          summary: 'The catalogue (hidden achievements with the admin scope only).',
        },
      },
      async (request) => {
        const catalogue = await deps.catalogue();
        const admin = isAdmin(request);
        return {
          items: [...catalogue.entries.values()]
            .filter((e) => admin || !e.def.hidden)
            .sort((a, b) => (a.id < b.id ? -1 : 1))
            .map((e) => ({ ...e.def, version: e.version })),
        };
      },
    );

    app.get(
      '/v1/achievements/:id',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['achievements'],
          summary:
            'An achievement with its stats: unlocks, share of active members, members near completion.',
          params: Type.Object({ id: Type.String() }),
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const entry = (await deps.catalogue()).entries.get(id);
        if (!entry || (entry.def.hidden && !isAdmin(request)))
          throw new NotFoundError(`no achievement ${id}`, 'ACH_ACHIEVEMENT_NOT_FOUND');
        return { ...entry.def, version: entry.version, stats: await achievementStats(deps.db, id) };
      },
    );

    app.get(
      '/v1/achievements/:id/versions',
      {
        config: { scope: 'achievements:admin' },
        schema: {
          tags: ['achievements'],
          summary: 'Every version of a definition, newest first.',
          params: Type.Object({ id: Type.String() }),
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { rows } = await deps.db.query<{
          version: number;
          definition: unknown;
          created_at: Date;
          created_by: string | null;
        }>(
          'select version, definition, created_at, created_by from ach_achievement_versions where achievement_id = $1 order by version desc',
          [id],
        );
        if (rows.length === 0) throw new NotFoundError(`no achievement ${id}`, 'ACH_ACHIEVEMENT_NOT_FOUND');
        return {
          items: rows.map((r) => ({
            version: r.version,
            definition: r.definition,
            createdAt: r.created_at.toISOString(),
            createdBy: r.created_by,
          })),
        };
      },
    );

    app.get(
      '/v1/users/:address/achievements',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['achievements'],
          summary: "A member's achievements: unlocked (with badge once minted), in progress, not started.",
          params: AddressParam,
          querystring: Type.Object({
            status: Type.Optional(
              Type.Union([
                Type.Literal('all'),
                Type.Literal('unlocked'),
                Type.Literal('in_progress'),
                Type.Literal('not_started'),
              ]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String()),
            fields: Type.Optional(
              Type.String({
                description: `Comma-separated subset of: ${MEMBER_ACHIEVEMENT_FIELDS.join(', ')}`,
              }),
            ),
          }),
        },
      },
      async (request) => {
        const address = memberAddress((request.params as { address: string }).address);
        const q = request.query as {
          status?: 'all' | 'unlocked' | 'in_progress' | 'not_started';
          limit?: number;
          cursor?: string;
          fields?: string;
        };
        return listMemberAchievements(deps.db, await deps.catalogue(), address, {
          status: q.status,
          limit: q.limit ?? 50,
          cursor: q.cursor,
          fields: q.fields
            ?.split(',')
            .map((f) => f.trim())
            .filter(Boolean),
        });
      },
    );

    app.get(
      '/v1/users/:address/achievements/stream',
      {
        config: { scope: 'public', stream: true },
        schema: {
          tags: ['achievements'],
          summary: "Server-Sent Events of a member's unlocks and badge mints, resumable with Last-Event-ID.",
          description:
            "`unlocked` (the member unlocked an achievement) and `mint` (its badge's mint request changed: pending → submitted → confirmed | failed, or a new transaction), each with data `{ achievementId, unlockedAt, mintStatus, txHash, tokenId, mintBlock, mintError }` (the state at reading time) and an id. Reconnect with `Last-Event-ID` (EventSource does) or `?lastEventId=` to get what came after it, exactly once; a mint that changed several times meanwhile comes once, as it is now. `ready` (with an id) once caught up: the stream is live from there. `reset` first when the id is not from this database: reload the list. The server ends a stream after CB_SSE_MAX_STREAM_MS (the client reconnects); `: ping` comments every 15 s. 503 `ACH_STREAMS_EXHAUSTED` when the instance has CB_SSE_MAX_STREAMS open.",
          params: AddressParam,
          querystring: Type.Object({
            lastEventId: Type.Optional(
              Type.String({ description: 'Resume after this event id (the Last-Event-ID header wins).' }),
            ),
          }),
          response: eventStream('A text/event-stream of `unlocked`, `mint`, `ready` and `reset` events.'),
        },
      },
      async (request, reply) => {
        const address = memberAddress((request.params as { address: string }).address);
        const header = request.headers['last-event-id'];
        const resumeFrom =
          typeof header === 'string' && header.trim() !== ''
            ? header
            : (request.query as { lastEventId?: string }).lastEventId;
        const after = resumeFrom ? parseFeedPosition(resumeFrom) : undefined;
        await hub.openMemberStream(reply, address, after);
        return reply;
      },
    );

    app.get(
      '/v1/users/:address/achievements/:id/explain',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['achievements'],
          summary: 'Which events counted toward an achievement and what is still missing.',
          params: Type.Object({ address: Type.String(), id: Type.String() }),
        },
      },
      async (request) => {
        const { id, address: raw } = request.params as { id: string; address: string };
        const address = memberAddress(raw);
        const entry = (await deps.catalogue()).entries.get(id);
        if (!entry) throw new NotFoundError(`no achievement ${id}`, 'ACH_ACHIEVEMENT_NOT_FOUND');
        const explanation = await explainProgress(deps.db, entry, address);
        if (entry.def.hidden && !explanation.unlocked && !isAdmin(request))
          throw new NotFoundError(`no achievement ${id}`, 'ACH_ACHIEVEMENT_NOT_FOUND');
        return explanation;
      },
    );
  };
}
