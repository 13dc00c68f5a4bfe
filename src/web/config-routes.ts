/**
 * `GET /v1/web/config` (public): what the console needs before anything else — whether dev mode is
 * on (the built-in dev wallet and its accounts are offered only then), the chain id sign-in
 * messages must name, the block explorer to link to, and the RUM settings and goals. Never anything secret outside dev mode.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { DevWalletAccount } from './dev-accounts.ts';
import { GOALS } from './rum-catalogue.ts';

export interface ConfigRoutesDeps {
  devMode: boolean;
  /** Chain id for SIWE messages and ballots; null when unknown. */
  chainId: number | undefined;
  /** Offered only when `devMode` is on. */
  devAccounts: readonly DevWalletAccount[];
  /** How often the browser sends its RUM batch (ms). */
  rumFlushIntervalMs: number;
  /** CB_EXPLORER_URL: the console links addresses, transactions and blocks there. */
  explorerUrl?: string | undefined;
}

/** The statement members sign (shown by their wallet). */
export const SIWE_STATEMENT = 'Sign in to the cb community console.';

export function configRoutes(deps: ConfigRoutesDeps): FastifyPluginAsync {
  const body = {
    devMode: deps.devMode,
    chainId: deps.chainId ?? null,
    devAccounts: deps.devMode ? deps.devAccounts.map((a) => ({ ...a })) : [],
    siweStatement: SIWE_STATEMENT,
    explorerUrl: deps.explorerUrl ?? null,
    rum: { endpoint: '/v1/rum', flushIntervalMs: deps.rumFlushIntervalMs, goals: [...GOALS] },
  };
  return async (app) => {
    app.get(
      '/v1/web/config',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['web'],
          summary: 'Settings of the web console (dev mode, chain id, RUM).',
          response: {
            200: Type.Object({
              devMode: Type.Boolean(),
              chainId: Type.Union([Type.Integer(), Type.Null()]),
              devAccounts: Type.Array(
                Type.Object({ label: Type.String(), address: Type.String(), privateKey: Type.String() }),
                { description: 'Well-known dev-chain accounts; empty unless devMode.' },
              ),
              siweStatement: Type.String(),
              explorerUrl: Type.Union([Type.String(), Type.Null()], {
                description: 'Block explorer base URL (…/address/<a>, …/tx/<hash>, …/block/<n>); null: none.',
              }),
              rum: Type.Object({
                endpoint: Type.String(),
                flushIntervalMs: Type.Integer(),
                goals: Type.Array(Type.String()),
              }),
            }),
          },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-cache');
        return body;
      },
    );
  };
}
