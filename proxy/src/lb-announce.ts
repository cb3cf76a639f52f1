// Puts the load-balancer addresses this node was elected for (lb-election.ts) on its external
// interface, the one holding --node-ip, as /32s labelled "<iface>:slb". The kernel then answers
// ARP for them on that link, so a client on the same L2 segment (the lab bridge, a LAN) reaches
// the node, where the Service rules (rules.ts) DNAT the traffic. Only labelled /32s are ever
// removed: the node's own addresses are never touched.
import { run } from './exec.ts';
import { isIPv4 } from './ipv4.ts';

interface AddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  label?: string;
}
interface Link {
  ifname?: string;
  addr_info?: AddrInfo[];
}

/** The label marking our addresses; Linux labels are at most 15 characters and begin with the device name. */
export function labelFor(iface: string): string | undefined {
  const label = `${iface}:slb`;
  return label.length <= 15 ? label : undefined;
}

async function links(dev?: string): Promise<Link[]> {
  const out = await run('ip', ['-j', '-4', 'addr', 'show', ...(dev ? ['dev', dev] : [])]);
  return JSON.parse(out || '[]') as Link[];
}

/** The interface holding `nodeIP`. */
export async function interfaceOf(nodeIP: string): Promise<string | undefined> {
  return (await links()).find((l) => (l.addr_info ?? []).some((a) => a.local === nodeIP))?.ifname;
}

export interface AddressChanges {
  added: string[];
  removed: string[];
  errors: string[];
}

/**
 * Makes the labelled /32s on `iface` exactly `wanted`. `remembered` holds what we added when
 * the interface name is too long for a label (then only those are removed).
 */
export async function syncAddresses(iface: string, wanted: readonly string[], remembered: Set<string>): Promise<AddressChanges> {
  const label = labelFor(iface);
  const present = (await links(iface)).flatMap((l) => l.addr_info ?? []).filter((a) => a.family === undefined || a.family === 'inet');
  const ours = new Set(present.filter((a) => a.prefixlen === 32 && a.local && (label ? a.label === label : remembered.has(a.local))).map((a) => a.local!));
  const anyHere = new Set(present.map((a) => a.local));
  const want = new Set(wanted.filter((ip) => isIPv4(ip)));
  const changes: AddressChanges = { added: [], removed: [], errors: [] };
  for (const ip of want) {
    // an address the node has anyway (its own) needs nothing and must never become ours
    if (anyHere.has(ip)) continue;
    try {
      await run('ip', ['addr', 'add', `${ip}/32`, 'dev', iface, ...(label ? ['label', label] : [])]);
      remembered.add(ip);
      changes.added.push(ip);
    } catch (e) {
      changes.errors.push((e as Error).message);
    }
  }
  for (const ip of ours) {
    if (want.has(ip)) continue;
    try {
      await run('ip', ['addr', 'del', `${ip}/32`, 'dev', iface]);
      remembered.delete(ip);
      changes.removed.push(ip);
    } catch (e) {
      changes.errors.push((e as Error).message);
    }
  }
  return changes;
}

/** `--cleanup`: every labelled load-balancer address of ours, on any interface. */
export async function removeAllAnnounced(): Promise<void> {
  for (const l of await links()) {
    const label = l.ifname ? labelFor(l.ifname) : undefined;
    if (!label) continue;
    for (const a of l.addr_info ?? []) {
      if (a.label === label && a.prefixlen === 32 && isIPv4(a.local)) await run('ip', ['addr', 'del', `${a.local}/32`, 'dev', l.ifname!]);
    }
  }
}
