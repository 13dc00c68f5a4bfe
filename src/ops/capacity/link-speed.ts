/**
 * The speed of the host's network link, for the bandwidth forecast (seed 8.1 网络资源): the sum of
 * `/sys/class/net/<iface>/speed` (Mb/s) over the interfaces the host sampler counts — every one in
 * `/proc/net/dev` but loopback — that are backed by a device.
 *
 * Why only those: a virtual interface's speed is not a link's. A bridge or an ifb gives EINVAL, a
 * virtio NIC usually -1, but a veth answers 10000 and a tun 10: counting them would add 10 Gb/s
 * per container on a Docker host. A physical interface that is down also gives -1, and carries
 * nothing, so leaving it out is right.
 */
import { existsSync, readFileSync } from 'node:fs';

/** What a link of 1 Mb/s carries in bytes per second. */
const BYTES_PER_SECOND_PER_MBPS = 125_000;

export interface LinkSpeed {
  /** Sum of the known speeds, in bytes per second; null when no counted interface reports one. */
  bytesPerSecond: number | null;
  /** The interfaces whose speed is in the sum. */
  interfaces: string[];
}

/** The interfaces `/proc/net/dev` lists but loopback: those readNetworkBytes sums. */
export function countedInterfaces(procRoot = '/proc'): string[] {
  try {
    return readFileSync(`${procRoot}/net/dev`, 'utf8')
      .split('\n')
      .slice(2)
      .flatMap((line) => {
        const [iface, rest] = line.split(':');
        const name = iface?.trim();
        return rest && name && name !== 'lo' ? [name] : [];
      });
  } catch {
    return [];
  }
}

/** The link speed of the counted interfaces backed by a device (see the module's comment). */
export function readLinkSpeed(
  options: { procRoot?: string | undefined; sysRoot?: string | undefined } = {},
): LinkSpeed {
  const sysRoot = options.sysRoot ?? '/sys';
  let total = 0;
  const interfaces: string[] = [];
  for (const iface of countedInterfaces(options.procRoot)) {
    const dir = `${sysRoot}/class/net/${iface}`;
    if (!existsSync(`${dir}/device`)) continue;
    let mbps: number;
    try {
      mbps = Number(readFileSync(`${dir}/speed`, 'utf8').trim());
    } catch {
      continue; // EINVAL: no speed to report
    }
    if (!Number.isFinite(mbps) || mbps <= 0) continue;
    total += mbps * BYTES_PER_SECOND_PER_MBPS;
    interfaces.push(iface);
  }
  return { bytesPerSecond: interfaces.length > 0 ? total : null, interfaces };
}
