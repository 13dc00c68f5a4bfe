import { statfsSync } from 'node:fs';

/** A filesystem's space in bytes, as df counts it. */
export interface DiskSpace {
  sizeBytes: number;
  /** size − free. */
  usedBytes: number;
  /** What an unprivileged user may still write (free less the blocks reserved for root). */
  availBytes: number;
}

/** The space of the filesystem holding `path`; undefined when it cannot be read (no such path). */
export function diskSpace(path: string): DiskSpace | undefined {
  try {
    const s = statfsSync(path);
    const sizeBytes = s.blocks * s.bsize;
    if (sizeBytes === 0) return undefined;
    return { sizeBytes, usedBytes: (s.blocks - s.bfree) * s.bsize, availBytes: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/**
 * Used share as df and cb_host_disk_utilization_ratio count it: used ÷ (used + avail), so a disk is
 * "full" (1) when nothing more can be written by cb, reserved blocks aside.
 */
export function usedRatio(d: Pick<DiskSpace, 'usedBytes' | 'availBytes'>): number {
  const room = d.usedBytes + d.availBytes;
  return room > 0 ? d.usedBytes / room : 1;
}
