// UDP has no connection teardown, so conntrack keeps sending a flow to an endpoint that is
// gone (or to nowhere, for a service that had none). After a sync we delete those entries.
import { run } from './exec.ts';
import type { ServicePort } from './model.ts';

export interface ConntrackCleanup {
  staleEndpoints: string[];
  revivedServices: { ip: string; port: number }[];
}

/** What to flush after moving from `before` to `after` (UDP only: TCP flows end on their own). */
export function staleUdpFlows(before: readonly ServicePort[], after: readonly ServicePort[]): ConntrackCleanup {
  const udp = (l: readonly ServicePort[]) => l.filter((s) => s.protocol === 'UDP');
  const key = (s: ServicePort) => `${s.id}/${s.protocol}`;
  const prev = new Map(udp(before).map((s) => [key(s), s]));
  const nowIPs = new Set(udp(after).flatMap((s) => s.endpoints.map((e) => e.ip)));
  const staleEndpoints = new Set<string>();
  for (const s of prev.values()) for (const e of s.endpoints) if (!nowIPs.has(e.ip)) staleEndpoints.add(e.ip);
  const revivedServices: { ip: string; port: number }[] = [];
  for (const s of udp(after)) {
    const old = prev.get(key(s));
    if (s.endpoints.length > 0 && (!old || old.endpoints.length === 0)) for (const ip of s.clusterIPs) revivedServices.push({ ip, port: s.port });
  }
  return { staleEndpoints: [...staleEndpoints].sort(), revivedServices };
}

async function deleteEntries(args: string[]): Promise<void> {
  // exit code 1 means "no entry matched", which is fine
  await run('conntrack', ['-D', ...args]).catch((e: { code?: number | null }) => {
    if (e.code !== 1) throw e;
  });
}

export async function flushStaleUdp(c: ConntrackCleanup): Promise<void> {
  for (const ip of c.staleEndpoints) await deleteEntries(['-p', 'udp', '--dst-nat', ip]);
  for (const s of c.revivedServices) await deleteEntries(['-p', 'udp', '--orig-dst', s.ip, '--orig-port-dst', String(s.port)]);
}
