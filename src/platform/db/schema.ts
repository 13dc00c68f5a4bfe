/**
 * Table types for Kysely. Each domain declares its own tables by augmenting this interface from
 * its own folder (`declare module '…/platform/db/schema.ts'`), so the platform knows no domain.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by the domains
export interface Database {}
