/** Number of event partitions (fixed: changing it needs a migration of ach_events.partition). */
export const PARTITIONS = 16;

/**
 * The partition of a member's events: FNV-1a of the lower-case address, modulo PARTITIONS. One
 * worker holds a partition at a time, so one member's events are applied in order.
 */
export function partitionOf(userAddress: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userAddress.length; i++) {
    h ^= userAddress.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % PARTITIONS;
}
