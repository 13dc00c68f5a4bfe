/**
 * The JSON shape of `GET /v1/ops/audit`, free of server imports: the console's Audit page reads it,
 * and audit-log.ts declares its records with it, so the two cannot drift apart.
 */

/** Who acted: an API key (its name), a `cb` command (`user@host`), or cb itself (retention). */
export type AuditActorKindShape = 'api_key' | 'cli' | 'system';

/** `failed`: a 4xx/5xx or a non-zero exit; `refused`: a valid key without the scope (403). */
export type AuditOutcomeShape = 'ok' | 'failed' | 'refused';

/** One recorded operation. */
export interface AuditRecordShape {
  /** Position in the hash chain (a decimal string: a bigint in the database). */
  seq: string;
  at: string;
  actorKind: AuditActorKindShape;
  actor: string;
  /** Method and route pattern (`PUT /v1/achievements/:id`), or the command (`cb apikey create`). */
  action: string;
  /** The route's parameters (`id=42`) or the command's arguments; null when there are none. */
  target: string | null;
  outcome: AuditOutcomeShape;
  /** HTTP status, or a command's exit code. */
  status: number | null;
  requestId: string | null;
  traceId: string | null;
  /** Redacted `{ query, body }` of a request or `{ options }` of a command. */
  details: Record<string, unknown>;
  prevHash: string;
  /** sha256(prevHash ‖ the record's canonical JSON), hex. */
  hash: string;
}

/** One page of the trail, newest first; `nextBefore` asks for the next (older) page. */
export interface AuditPageShape {
  items: AuditRecordShape[];
  nextBefore: string | null;
}
