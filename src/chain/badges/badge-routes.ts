/**
 * `GET /v1/badges/:tokenId/metadata` (public): the ERC-721 metadata a badge's tokenURI points at
 * (`baseURI + tokenId + "/metadata"`), from the listener's `badge_tokens` and the achievement
 * catalogue. 404 `CHAIN_BADGE_NOT_FOUND` for a token never minted (or not seen yet) or revoked, 400
 * `CHAIN_BAD_TOKEN_ID` for an id that is not a token id. Cacheable for 5 minutes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Catalogue } from '../../achievements/index.ts';
import type { Queryable } from '../../platform/db/create-db.ts';
import { createAchievementIndex } from './achievement-index.ts';
import { badgeMetadata } from './badge-metadata.ts';
import { badgeNotFound, badTokenId } from './errors.ts';

export interface BadgeRoutesDeps {
  db: Queryable;
  /** The achievement catalogue (the event processor's `catalogue`). */
  catalogue: () => Promise<Catalogue>;
}

const MAX_TOKEN_ID = 2n ** 256n - 1n;

const Attribute = Type.Object({
  trait_type: Type.String(),
  value: Type.Union([Type.String(), Type.Number()]),
  display_type: Type.Optional(Type.Literal('number')),
});
const Metadata = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    image: Type.String({ description: 'data:image/svg+xml;base64,…' }),
    attributes: Type.Array(Attribute),
    soulbound: Type.Literal(true),
    tokenId: Type.String(),
    achievementId: Type.String({ description: 'The slug, or the on-chain id when the catalogue lacks it.' }),
  },
  { title: 'BadgeMetadata' },
);

export function badgeRoutes(deps: BadgeRoutesDeps): FastifyPluginAsync {
  const achievements = createAchievementIndex(deps.catalogue);
  return async (app) => {
    app.get(
      '/v1/badges/:tokenId/metadata',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['badges'],
          summary:
            "ERC-721 metadata of a badge (what its tokenURI points at): the achievement's name, description, image and attributes.",
          params: Type.Object({ tokenId: Type.String({ description: 'Token id, decimal.' }) }),
          response: { 200: Metadata },
        },
      },
      async (request, reply) => {
        const { tokenId: raw } = request.params as { tokenId: string };
        if (!/^\d{1,78}$/.test(raw)) throw badTokenId(raw);
        const tokenId = BigInt(raw);
        if (tokenId < 1n || tokenId > MAX_TOKEN_ID) throw badTokenId(raw);
        const { rows } = await deps.db.query<{ key: string; owner: string | null; minted_block: string }>(
          'select achievement_key::text as key, owner, minted_block from badge_tokens where token_id = $1',
          [tokenId.toString()],
        );
        const row = rows[0];
        if (!row || row.owner === null) throw badgeNotFound(tokenId.toString(), row !== undefined);
        const key = BigInt(row.key);
        const metadata = badgeMetadata(
          { tokenId, achievementKey: key, mintedBlock: BigInt(row.minted_block) },
          await achievements.byKey(key),
        );
        reply.header('cache-control', 'public, max-age=300');
        return metadata;
      },
    );
  };
}
