/**
 * Badges as the outside world sees them: the ERC-721 metadata route (`badgeRoutes`), and the
 * on-chain achievement id → catalogue entry index shared with the listener.
 */
export { type AchievementIndex, type CatalogueEntry, createAchievementIndex } from './achievement-index.ts';
export { type BadgeAttribute, type BadgeMetadata, badgeMetadata, badgeSvg } from './badge-metadata.ts';
export { type BadgeRoutesDeps, badgeRoutes } from './badge-routes.ts';
export { badgeNotFound, badTokenId } from './errors.ts';
