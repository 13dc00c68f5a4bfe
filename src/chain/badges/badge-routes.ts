/**
 * The badges as the chain listener indexed them (public: they are public on chain):
 *
 * - `GET /v1/badges/:tokenId/metadata`: the ERC-721 metadata a badge's tokenURI points at
 *   (`baseURI + tokenId + "/metadata"`), from `badge_tokens` and the achievement catalogue. 404
 *   `CHAIN_BADGE_NOT_FOUND` for a token never minted (or not seen yet) or revoked. Cacheable for 5
 *   minutes.
 * - `GET /v1/badges/:tokenId`: the badge's record — achievement, holder (null once revoked), mint
 *   and revoke, and its ownership history with block hashes — and whether all of it is final
 *   (at or below the listener's finalized block). 404 for a token never minted or not seen yet.
 * - `GET /v1/users/:address/badges?block=N`: the badges `address` held at block N (default: the
 *   listener's processed block), the question governance asks at a proposal's snapshot. 409
 *   `CHAIN_BLOCK_NOT_INDEXED` above the processed block (or before the listener's first run);
 *   `final` says whether N can still change with a reorg.
 *
 * 400 `CHAIN_BAD_TOKEN_ID` / `CHAIN_BAD_ADDRESS` for ids and addresses that cannot be one. The
 * listener's progress is read before the badges, so a `final: true` is never premature.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Catalogue } from '../../achievements/index.ts';
import { normalizeAddress } from '../../achievements/index.ts';
import type { Queryable } from '../../platform/db/create-db.ts';
import { followedProgress, tokensOfAt } from '../listener/ownership.ts';
import { createAchievementIndex } from './achievement-index.ts';
import { badgeMetadata } from './badge-metadata.ts';
import { badAddress, badgeNotFound, badTokenId, blockNotIndexed } from './errors.ts';

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

const Block = Type.String({ description: 'Block number, decimal.' });
const NullableBlock = Type.Union([Block, Type.Null()]);
const AchievementRef = {
  achievementId: Type.String({ description: 'The slug, or the on-chain id when the catalogue lacks it.' }),
  achievementKey: Type.String({ description: 'The on-chain achievement id (uint64 of the slug), decimal.' }),
};
const Badge = Type.Object(
  {
    tokenId: Type.String(),
    ...AchievementRef,
    holder: Type.Union([Type.String(), Type.Null()], { description: 'Lower case; null once revoked.' }),
    mintedBlock: Block,
    mintedTx: Type.String(),
    revokedBlock: NullableBlock,
    history: Type.Array(
      Type.Object({
        owner: Type.String(),
        fromBlock: Block,
        toBlock: Type.Union([Block, Type.Null()], { description: 'Exclusive; null: still held.' }),
        txHash: Type.String(),
        blockHash: Type.Union([Type.String(), Type.Null()], {
          description: 'Hash of the block of fromBlock (null only for rows indexed before hashes were kept).',
        }),
      }),
    ),
    final: Type.Boolean({
      description:
        "Every block of this record is at or below the listener's finalized block (no reorg can change it).",
    }),
  },
  { title: 'Badge' },
);
const HeldBadges = Type.Object(
  {
    address: Type.String({ description: 'Lower case.' }),
    block: Block,
    processedBlock: Block,
    finalizedBlock: Block,
    final: Type.Boolean({ description: 'block ≤ finalizedBlock: no reorg can change this answer.' }),
    items: Type.Array(Type.Object({ tokenId: Type.String(), ...AchievementRef, sinceBlock: Block })),
  },
  { title: 'HeldBadges' },
);

const TokenIdParams = Type.Object({ tokenId: Type.String({ description: 'Token id, decimal.' }) });

function tokenIdParam(raw: string): bigint {
  if (!/^\d{1,78}$/.test(raw)) throw badTokenId(raw);
  const tokenId = BigInt(raw);
  if (tokenId < 1n || tokenId > MAX_TOKEN_ID) throw badTokenId(raw);
  return tokenId;
}

/** The slug (or, unknown to the catalogue, the on-chain id) and the on-chain id of `key`. */
function achievementRef(slugs: ReadonlyMap<bigint, { id: string }>, key: bigint) {
  return { achievementId: slugs.get(key)?.id ?? key.toString(), achievementKey: key.toString() };
}

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
          params: TokenIdParams,
          response: { 200: Metadata },
        },
      },
      async (request, reply) => {
        const tokenId = tokenIdParam((request.params as { tokenId: string }).tokenId);
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

    app.get(
      '/v1/badges/:tokenId',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['badges'],
          summary:
            'A badge as indexed from the chain: its achievement, holder, mint and revoke, ownership history with block hashes, and whether it is final.',
          params: TokenIdParams,
          response: { 200: Badge },
        },
      },
      async (request) => {
        const tokenId = tokenIdParam((request.params as { tokenId: string }).tokenId);
        // Progress first: read before the record, `final` can only be too cautious, never wrong.
        const progress = await followedProgress(deps.db);
        const { rows } = await deps.db.query<{
          key: string;
          owner: string | null;
          minted_block: string;
          minted_tx: string;
          revoked_block: string | null;
          history: {
            owner: string;
            fromBlock: string;
            toBlock: string | null;
            txHash: string;
            blockHash: string | null;
          }[];
        }>(
          `select t.achievement_key::text as key, t.owner, t.minted_block::text as minted_block, t.minted_tx,
                  t.revoked_block::text as revoked_block,
                  coalesce((select json_agg(json_build_object('owner', o.owner, 'fromBlock', o.from_block::text,
                                                              'toBlock', o.to_block::text, 'txHash', o.tx_hash,
                                                              'blockHash', o.block_hash) order by o.from_block)
                              from badge_ownership o where o.token_id = t.token_id), '[]'::json) as history
             from badge_tokens t where t.token_id = $1`,
          [tokenId.toString()],
        );
        const row = rows[0];
        if (!row) throw badgeNotFound(tokenId.toString(), false);
        const last = BigInt(row.revoked_block ?? row.minted_block);
        return {
          tokenId: tokenId.toString(),
          ...achievementRef(await achievements.map(), BigInt(row.key)),
          holder: row.owner,
          mintedBlock: row.minted_block,
          mintedTx: row.minted_tx,
          revokedBlock: row.revoked_block,
          history: row.history,
          final: progress !== undefined && last <= progress.finalizedBlock,
        };
      },
    );

    app.get(
      '/v1/users/:address/badges',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['badges'],
          summary:
            "The badges an address held at a block (default: the listener's last processed block), from the ownership history.",
          params: Type.Object({ address: Type.String({ description: '0x address, any case' }) }),
          querystring: Type.Object({
            block: Type.Optional(
              Type.String({
                pattern: '^[0-9]{1,20}$',
                description: "Block number; default the listener's processed block.",
              }),
            ),
          }),
          response: { 200: HeldBadges },
        },
      },
      async (request) => {
        const raw = (request.params as { address: string }).address;
        const address = normalizeAddress(raw);
        if (!address) throw badAddress(raw);
        const asked = (request.query as { block?: string }).block;
        const wanted = asked === undefined ? undefined : BigInt(asked);
        // Progress first: blocks up to it do not change but by a reorg, which `final` owns up to.
        const progress = await followedProgress(deps.db);
        if (progress === undefined || (wanted !== undefined && wanted > progress.processedBlock))
          throw blockNotIndexed(wanted, progress?.processedBlock);
        const block = wanted ?? progress.processedBlock;
        const [held, slugs] = await Promise.all([tokensOfAt(deps.db, address, block), achievements.map()]);
        return {
          address,
          block: block.toString(),
          processedBlock: progress.processedBlock.toString(),
          finalizedBlock: progress.finalizedBlock.toString(),
          final: block <= progress.finalizedBlock,
          items: held.map((h) => ({
            tokenId: h.tokenId.toString(),
            ...achievementRef(slugs, h.achievementKey),
            sinceBlock: h.sinceBlock.toString(),
          })),
        };
      },
    );
  };
}
