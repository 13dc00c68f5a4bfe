/**
 * Member sign-in with a wallet (Sign-In with Ethereum, EIP-4361), all public routes:
 *
 * - `GET /v1/auth/nonce` → `{ nonce, expiresAt }`: a single-use nonce for the message.
 * - `POST /v1/auth/siwe` `{ message, signature }` → verified (verify-siwe.ts), then the nonce is
 *   consumed (atomically: of two requests with one nonce, one wins) and the session created →
 *   `{ address, chainId, expiresAt }` and an httpOnly, SameSite=Lax session cookie. Refusals are
 *   400/401 `WEB_SIWE_*`; a smart wallet's signature is asked of the chain (503 when it cannot be). The session never outlives the message's `expirationTime`.
 * - `GET /v1/auth/session` → `{ session: { address, chainId, expiresAt } | null }` (200 either
 *   way: "not signed in" is an answer, not a failure).
 * - `POST /v1/auth/logout` → 204, the session revoked everywhere and the cookie cleared.
 *
 * The accepted SIWE domain is the host of CB_PUBLIC_URL; without it, the request's own Host when
 * that is a loopback address (local development), and none otherwise (the refusal says to set
 * CB_PUBLIC_URL). A Host header alone is never trusted for a public address: anyone can send one.
 *
 * CSRF: the cookie is SameSite=Lax and these POSTs take only application/json, which a cross-site
 * form cannot send; nothing here changes state on a GET.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Logger } from '../platform/logger.ts';
import { setTraceUser } from '../platform/trace.ts';
import { SiweRefusedError } from './errors.ts';
import { readCookie, serializeSessionCookie, sessionCookieName } from './session-cookie.ts';
import type { Sessions } from './sessions.ts';
import { type SiweContractVerifier, verifySiwe } from './verify-siwe.ts';

export interface AuthRoutesDeps {
  sessions: Sessions;
  logger: Logger;
  /** CB_PUBLIC_URL: its host is the SIWE domain, and https makes the cookie Secure. */
  publicUrl?: string | undefined;
  /** Chain id a message must name; any when undefined. */
  chainId?: number | undefined;
  /** Checks smart-wallet (ERC-1271) signatures on that chain; without it only EOAs can sign in. */
  contractVerifier?: SiweContractVerifier | undefined;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** The SIWE domains accepted for a request (see the module comment). */
export function siweDomains(publicUrl: string | undefined, host: string | undefined): string[] {
  if (publicUrl) return [new URL(publicUrl).host];
  return host && LOOPBACK.test(host) ? [host] : [];
}

const SessionView = Type.Object({
  address: Type.String({ description: 'EIP-55 address' }),
  chainId: Type.Integer(),
  expiresAt: Type.String({ format: 'date-time' }),
});

export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsync {
  const secure = deps.publicUrl?.startsWith('https:') ?? false;
  const cookieName = sessionCookieName(secure);
  const cookieOf = (request: FastifyRequest) => readCookie(request.headers.cookie, cookieName);
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  return async (app) => {
    app.get(
      '/v1/auth/nonce',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'A single-use nonce for a Sign-In with Ethereum message.',
          response: {
            200: Type.Object({ nonce: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
          },
        },
      },
      async (_request, reply) => {
        noStore(reply);
        const { nonce, expiresAt } = await deps.sessions.issueNonce();
        return { nonce, expiresAt: expiresAt.toISOString() };
      },
    );

    app.post(
      '/v1/auth/siwe',
      {
        config: { scope: 'public' },
        bodyLimit: 16_384,
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a signed EIP-4361 message; sets the session cookie.',
          body: Type.Object(
            {
              message: Type.String({ minLength: 1, maxLength: 8192 }),
              signature: Type.String({ minLength: 1, maxLength: 1024 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: SessionView },
        },
      },
      async (request, reply) => {
        const { message, signature } = request.body as { message: string; signature: string };
        const now = deps.sessions.now();
        const verified = await verifySiwe({
          message,
          signature,
          domains: siweDomains(deps.publicUrl, request.headers.host),
          chainId: deps.chainId,
          now,
          maxAgeMs: deps.sessions.nonceTtlMs,
          contractVerifier: deps.contractVerifier,
        });
        if (!(await deps.sessions.consumeNonce(verified.nonce)))
          throw new SiweRefusedError(
            'WEB_SIWE_NONCE',
            'the nonce is unknown, already used or expired; get a new one',
          );
        const created = await deps.sessions.create(
          verified.address,
          verified.chainId,
          verified.expirationTime,
        );
        const { session } = created;
        setTraceUser(session.address.toLowerCase());
        deps.logger.info('member signed in', {
          userId: session.address.toLowerCase(),
          context: { chainId: session.chainId, expiresAt: session.expiresAt.toISOString() },
        });
        noStore(reply);
        reply.header(
          'set-cookie',
          serializeSessionCookie(created.cookie, {
            secure,
            maxAgeSeconds: (session.expiresAt.getTime() - now) / 1000,
          }),
        );
        return {
          address: session.address,
          chainId: session.chainId,
          expiresAt: session.expiresAt.toISOString(),
        };
      },
    );

    app.get(
      '/v1/auth/session',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'The member signed in with this browser, or null.',
          response: { 200: Type.Object({ session: Type.Union([SessionView, Type.Null()]) }) },
        },
      },
      async (request, reply) => {
        noStore(reply);
        const session = await deps.sessions.read(cookieOf(request));
        if (!session) return { session: null };
        setTraceUser(session.address.toLowerCase());
        return {
          session: {
            address: session.address,
            chainId: session.chainId,
            expiresAt: session.expiresAt.toISOString(),
          },
        };
      },
    );

    app.post(
      '/v1/auth/logout',
      {
        config: { scope: 'public' },
        schema: { tags: ['auth'], summary: 'Ends the session (everywhere) and clears the cookie.' },
      },
      async (request, reply) => {
        await deps.sessions.revoke(cookieOf(request));
        noStore(reply);
        reply.header('set-cookie', serializeSessionCookie('', { secure, maxAgeSeconds: 0 }));
        return reply.code(204).send();
      },
    );
  };
}
