/**
 * Alertmanager's webhook payload (version 4) — the route's body schema — and its reading into the
 * alerts an incident keeps: severity from the `severity` label (P0-P3, any case; otherwise the
 * configured default), timestamps parsed (Alertmanager's zero time `0001-01-01T00:00:00Z` for
 * "not ended" becomes null), fingerprint computed from the labels when an old sender omits it.
 */
import { createHash } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { isSeverity, type Severity } from './types.ts';

const Labels = Type.Record(Type.String(), Type.String());

export const AlertSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: Labels,
    annotations: Type.Optional(Labels),
    startsAt: Type.String({ minLength: 1 }),
    endsAt: Type.Optional(Type.String()),
    generatorURL: Type.Optional(Type.String()),
    fingerprint: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const AlertmanagerPayloadSchema = Type.Object(
  {
    version: Type.Optional(Type.String()),
    groupKey: Type.String({ minLength: 1, maxLength: 2000 }),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Type.Optional(Type.String()),
    groupLabels: Type.Optional(Labels),
    commonLabels: Type.Optional(Labels),
    commonAnnotations: Type.Optional(Labels),
    externalURL: Type.Optional(Type.String()),
    alerts: Type.Array(AlertSchema, { minItems: 1, maxItems: 10_000 }),
  },
  { additionalProperties: true, title: 'AlertmanagerWebhook' },
);

export type AlertmanagerPayload = Static<typeof AlertmanagerPayloadSchema>;

/** One alert as an incident keeps it. */
export interface IncomingAlert {
  fingerprint: string;
  alertname: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  startsAt: Date;
  endsAt: Date | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
}

/** The group an incident is opened for. */
export interface IncomingGroup {
  groupKey: string;
  groupLabels: Record<string, string>;
  dependency: string | null;
  title: string;
  alerts: IncomingAlert[];
}

/** Parses an RFC 3339 time; the zero time and anything before 1970 mean "none". */
function time(value: string | undefined): Date | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : null;
}

/** Alertmanager's own fingerprint is a hash of the sorted label set; ours is close enough for old senders. */
function fingerprintOf(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

export function severityOf(labels: Record<string, string>, fallback: Severity): Severity {
  const raw = (labels.severity ?? '').trim().toUpperCase();
  return isSeverity(raw) ? raw : fallback;
}

/** Reads a validated payload; alerts sharing a fingerprint keep the last one (Alertmanager sends each once). */
export function readPayload(
  payload: AlertmanagerPayload,
  defaultSeverity: Severity,
  receivedAt: Date,
): IncomingGroup {
  const byFingerprint = new Map<string, IncomingAlert>();
  for (const a of payload.alerts) {
    const labels = a.labels;
    const fingerprint = a.fingerprint && a.fingerprint.length > 0 ? a.fingerprint : fingerprintOf(labels);
    const startsAt = time(a.startsAt) ?? receivedAt;
    const endsAt = time(a.endsAt);
    byFingerprint.set(fingerprint, {
      fingerprint,
      alertname: labels.alertname ?? 'unnamed',
      severity: severityOf(labels, defaultSeverity),
      status: a.status,
      startsAt,
      // A firing alert's endsAt is Alertmanager's guess of when it expires, not an end.
      endsAt: a.status === 'resolved' ? (endsAt ?? receivedAt) : null,
      labels,
      annotations: a.annotations ?? {},
      generatorUrl: a.generatorURL ? a.generatorURL : null,
    });
  }
  const alerts = [...byFingerprint.values()];
  const common = payload.commonAnnotations ?? {};
  const groupLabels = payload.groupLabels ?? {};
  // Alertmanager may group by a failure domain (`correlation`) wider than one dependency.
  const dependency = payload.commonLabels?.dependency ?? groupLabels.dependency ?? null;
  const scope =
    groupLabels.dependency ?? groupLabels.correlation ?? dependency ?? Object.values(groupLabels)[0];
  const first = alerts.find((a) => a.status === 'firing') ?? alerts[0]!;
  const title =
    common.summary ??
    (alerts.length === 1
      ? (first.annotations.summary ?? first.alertname)
      : `${alerts.length} alerts${scope ? ` on ${scope}` : ''}: ${[...new Set(alerts.map((a) => a.alertname))].join(', ')}`);
  return { groupKey: payload.groupKey, groupLabels, dependency, title: title.slice(0, 500), alerts };
}
