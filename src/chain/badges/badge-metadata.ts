/**
 * ERC-721 metadata of a badge (the JSON its tokenURI points at): name and description from the
 * achievement definition, a generated SVG image (data URI), attributes (category, tier, series,
 * weight, unlocked block) and `soulbound: true`. A badge whose achievement the catalogue does not
 * know (removed, or minted for another catalogue) still gets metadata, named by its on-chain id.
 */
import type { CatalogueEntry } from './achievement-index.ts';

export interface BadgeAttribute {
  trait_type: string;
  value: string | number;
  display_type?: 'number';
}

export interface BadgeMetadata {
  name: string;
  description: string;
  /** `data:image/svg+xml;base64,…` */
  image: string;
  attributes: BadgeAttribute[];
  soulbound: true;
  tokenId: string;
  /** The achievement's slug, or its on-chain id in decimal when the catalogue does not know it. */
  achievementId: string;
}

export interface BadgeRecord {
  tokenId: bigint;
  achievementKey: bigint;
  mintedBlock: bigint;
}

const TIER_COLOURS: Record<string, string> = { bronze: '#b87333', silver: '#a8a9ad', gold: '#d4af37' };

export function badgeMetadata(badge: BadgeRecord, entry: CatalogueEntry | undefined): BadgeMetadata {
  const def = entry?.def;
  const tokenId = badge.tokenId.toString();
  const name = def ? (def.tier ? `${def.name} (${def.tier})` : def.name) : `Achievement badge #${tokenId}`;
  const attributes: BadgeAttribute[] = [];
  if (def) {
    attributes.push({ trait_type: 'category', value: def.category });
    if (def.tier) attributes.push({ trait_type: 'tier', value: def.tier });
    if (def.series) attributes.push({ trait_type: 'series', value: def.series });
    attributes.push({ trait_type: 'weight', value: def.weight, display_type: 'number' });
  }
  attributes.push({ trait_type: 'unlocked block', value: Number(badge.mintedBlock), display_type: 'number' });
  return {
    name,
    description:
      def?.description ||
      (def
        ? `Awarded for the achievement "${def.name}".`
        : `Soulbound badge for on-chain achievement ${badge.achievementKey}.`),
    image: `data:image/svg+xml;base64,${Buffer.from(badgeSvg(name, def?.category ?? 'achievement', def?.tier, tokenId)).toString('base64')}`,
    attributes,
    soulbound: true,
    tokenId,
    achievementId: entry?.id ?? badge.achievementKey.toString(),
  };
}

/** A 350 × 350 round badge: tier colour, name, category and token number. */
export function badgeSvg(name: string, category: string, tier: string | undefined, tokenId: string): string {
  const colour = (tier && TIER_COLOURS[tier]) ?? '#4f46e5';
  const title = name.length > 28 ? `${name.slice(0, 27)}…` : name;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="350" height="350" viewBox="0 0 350 350">',
    '<rect width="350" height="350" fill="#0f172a"/>',
    `<circle cx="175" cy="150" r="105" fill="${colour}" stroke="#f8fafc" stroke-width="6"/>`,
    `<text x="175" y="162" font-family="sans-serif" font-size="40" font-weight="700" text-anchor="middle" fill="#0f172a">#${escapeXml(tokenId.length > 8 ? `${tokenId.slice(0, 7)}…` : tokenId)}</text>`,
    `<text x="175" y="295" font-family="sans-serif" font-size="22" font-weight="600" text-anchor="middle" fill="#f8fafc">${escapeXml(title)}</text>`,
    `<text x="175" y="325" font-family="sans-serif" font-size="15" text-anchor="middle" fill="#94a3b8">${escapeXml(category)}${tier ? ` · ${escapeXml(tier)}` : ''} · soulbound</text>`,
    '</svg>',
  ].join('');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
