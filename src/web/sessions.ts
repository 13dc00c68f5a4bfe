/**
 * Member sessions after Sign-In with Ethereum, stored in the database (table `web_sessions`,
 * migration 0050) so a sign-out is effective on every instance at once and nonces are single-use
 * across instances (`web_siwe_nonces`). The cookie holds a random id signed with a server secret
 * (see session-cookie.ts); the table holds only the id's SHA-256.
 *
 * The secret is `secret` when given (CB_SESSION_SECRET), else one generated on first use and kept
 * in `web_secrets`, so instances sharing a database agree without any setting.
 */
import { createHash, randomBytes } from 'node:crypto';
import { getAddress } from 'viem';
import type { Db } from '../platform/db/create-db.ts';
import { newSessionToken, verifySessionToken } from './session-cookie.ts';

/** A signed-in member. */
export interface MemberSession {
  /** EIP-55 checksummed address. */
  address: string;
  chainId: number;
  createdAt: Date;
  expiresAt: Date;
}

export interface SessionsOptions {
  db: Db;
  /** HMAC secret of the cookies (at least 32 characters); generated and stored when undefined. */
  secret?: string | undefined;
  /** Session lifetime. @defaultValue 86_400_000 (24 h) */
  ttlMs?: number | undefined;
  /** Nonce lifetime (time allowed between GET /v1/auth/nonce and signing in). @defaultValue 600_000 */
  nonceTtlMs?: number | undefined;
  /** Clock (Unix ms); tests move it. @defaultValue Date.now */
  now?: (() => number) | undefined;
}

export interface Sessions {
  readonly ttlMs: number;
  readonly nonceTtlMs: number;
  now(): number;
  /** A new single-use nonce (32 hex characters, valid for `nonceTtlMs`). */
  issueNonce(): Promise<{ nonce: string; expiresAt: Date }>;
  /** Marks the nonce used; false when it is unknown, already used or expired. */
  consumeNonce(nonce: string): Promise<boolean>;
  /** Stores a session ending at `expiresAt` (or after `ttlMs`, whichever is first); returns the cookie value. */
  create(
    address: string,
    chainId: number,
    expiresAt?: Date,
  ): Promise<{ cookie: string; session: MemberSession }>;
  /** The live session of a cookie value (signature right, not expired, not revoked). */
  read(cookie: string | undefined): Promise<MemberSession | undefined>;
  /** Ends the session of a cookie value (no-op when there is none). */
  revoke(cookie: string | undefined): Promise<void>;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

/** Creates the session store; see the module comment. */
export function createSessions(options: SessionsOptions): Sessions {
  const { db } = options;
  const ttlMs = options.ttlMs ?? 86_400_000;
  const nonceTtlMs = options.nonceTtlMs ?? 600_000;
  const now = options.now ?? Date.now;
  if (options.secret !== undefined && options.secret.length < 32)
    throw new Error('the session secret must have at least 32 characters');

  let secret: Promise<string> | undefined = options.secret ? Promise.resolve(options.secret) : undefined;
  const getSecret = () => {
    secret ??= (async () => {
      await db.query(
        `insert into web_secrets (name, value) values ('session', $1) on conflict (name) do nothing`,
        [randomBytes(32).toString('base64url')],
      );
      const { rows } = await db.query<{ value: string }>(
        `select value from web_secrets where name = 'session'`,
      );
      return rows[0]!.value;
    })().catch((err: unknown) => {
      secret = undefined;
      throw err;
    });
    return secret;
  };

  const sessionOf = async (cookie: string | undefined) => {
    if (!cookie) return undefined;
    const id = verifySessionToken(await getSecret(), cookie);
    return id === undefined ? undefined : hash(id);
  };

  return {
    ttlMs,
    nonceTtlMs,
    now,
    async issueNonce() {
      const nonce = randomBytes(16).toString('hex');
      const at = now();
      const expiresAt = new Date(at + nonceTtlMs);
      // Expired nonces are of no use to anyone; drop them as new ones are made (indexed).
      await db.query('delete from web_siwe_nonces where expires_at < $1', [new Date(at - 60_000)]);
      await db.query('insert into web_siwe_nonces (nonce, expires_at) values ($1, $2)', [nonce, expiresAt]);
      return { nonce, expiresAt };
    },
    async consumeNonce(nonce) {
      const { rows } = await db.query(
        `update web_siwe_nonces set used_at = $2
          where nonce = $1 and used_at is null and expires_at > $2 returning nonce`,
        [nonce, new Date(now())],
      );
      return rows.length === 1;
    },
    async create(address, chainId, cap) {
      const token = newSessionToken(await getSecret());
      const createdAt = new Date(now());
      let expiresAt = new Date(createdAt.getTime() + ttlMs);
      if (cap && cap < expiresAt) expiresAt = cap;
      await db.query(
        'insert into web_sessions (id_hash, address, chain_id, created_at, expires_at) values ($1, $2, $3, $4, $5)',
        [hash(token.id), address.toLowerCase(), chainId, createdAt, expiresAt],
      );
      return {
        cookie: token.value,
        session: { address: getAddress(address), chainId, createdAt, expiresAt },
      };
    },
    async read(cookie) {
      const idHash = await sessionOf(cookie);
      if (!idHash) return undefined;
      const { rows } = await db.query<{
        address: string;
        chain_id: number;
        created_at: Date;
        expires_at: Date;
      }>(
        `select address, chain_id, created_at, expires_at from web_sessions
          where id_hash = $1 and revoked_at is null and expires_at > $2`,
        [idHash, new Date(now())],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        address: getAddress(row.address),
        chainId: row.chain_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      };
    },
    async revoke(cookie) {
      const idHash = await sessionOf(cookie);
      if (!idHash) return;
      await db.query('update web_sessions set revoked_at = $2 where id_hash = $1 and revoked_at is null', [
        idHash,
        new Date(now()),
      ]);
    },
  };
}
