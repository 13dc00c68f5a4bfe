/**
 * Hands every privileged change made through the API to the audit trail (src/ops/audit): a request
 * that is not a read (GET, HEAD, OPTIONS), on a route that is neither public nor the event intake's
 * (`events:*`, `counter:write`: data, not administration), made with a valid API key — whether it
 * succeeded, failed, or was refused for a missing scope (403). A public route that also takes a
 * privileged key in its handler (a proposal created with `governance:admin`, a guardian's cancel)
 * declares `config.acceptsKey: true` (auth.ts), and its handler marks `request.keyUsed` when it
 * acted on the key: those calls are recorded too, members' signed calls are not (even with a key
 * header the handler ignored). A request without a valid key is not an operation of anyone's: the access log and the
 * rate limit have it.
 *
 * A refused request (403) is recorded without its body: the scope check (auth.ts) turns it away in
 * `preParsing`, so the body is never read; reading it for the record alone would mean parsing an
 * under-scoped caller's untrusted body, and moving the check after parsing would let a 400/413/415
 * answer (and be recorded as `failed`) before the refusal.
 *
 * Recorded after the reply went out, so the audit never slows or fails an operation; a record that
 * cannot be written is logged as an error and counted (cb_audit_write_failures_total, alert
 * AuditWriteFailing).
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { accessOf } from './auth.ts';
import { globalPlugin } from './global-plugin.ts';

/** What the plugin records (the audit trail's entry, without this layer importing it). */
export interface AuditHttpEntry {
  actorKind: 'api_key';
  actor: string;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'refused';
  status: number;
  requestId: string;
  traceId: string | null;
  details: Record<string, unknown>;
}

export interface AuditSink {
  record(entry: AuditHttpEntry): Promise<unknown>;
}

export interface AuditPluginOptions {
  sink: AuditSink;
  logger: Logger;
  metrics: Metrics;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DATA_SCOPES = /^(events:|counter:write$)/;

/** Whether the request is an administrative operation to audit (see the module note). */
export function isAudited(request: FastifyRequest): boolean {
  if (READS.has(request.method) || !request.apiKey) return false;
  const access = accessOf(request);
  if (access === 'public') return request.routeOptions.config?.acceptsKey === true && request.keyUsed;
  return !DATA_SCOPES.test(access);
}

export const auditPlugin = globalPlugin<AuditPluginOptions>('cb-audit', async (app, options) => {
  const recorded = new WeakSet<FastifyRequest>();
  // onSend, not onResponse: Fastify runs onResponse only when the reply finished, so a client that
  // hung up after sending a change would leave no record; onSend runs once the handler is done
  // either way (and again if a later hook fails: recorded once).
  app.addHook('onSend', async (request, reply, payload) => {
    if (recorded.has(request) || !isAudited(request)) return payload;
    recorded.add(request);
    const status = reply.statusCode;
    const params = (request.params ?? {}) as Record<string, unknown>;
    const target = Object.entries(params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const details: Record<string, unknown> = {};
    if (request.query && Object.keys(request.query as object).length > 0) details.query = request.query;
    if (request.body !== undefined && request.body !== null) details.body = request.body;
    const entry: AuditHttpEntry = {
      actorKind: 'api_key',
      actor: request.apiKey!.name,
      action: `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`,
      target: target || null,
      outcome: status < 400 ? 'ok' : status === 403 ? 'refused' : 'failed',
      status,
      requestId: String(request.id),
      traceId: request.trace?.traceId ?? null,
      details,
    };
    try {
      await options.sink.record(entry);
    } catch (err) {
      options.metrics.auditWriteFailures.inc();
      options.logger.error('audit record not written', {
        err,
        context: { action: entry.action, keyName: entry.actor, statusCode: status },
      });
    }
    return payload;
  });
});
