// Kernel settings the dataplane needs, set in the network namespace the proxy runs in.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '@skiff/common';

const REQUIRED: { path: string; value: string; why: string; optional?: boolean }[] = [
  { path: '/proc/sys/net/ipv4/ip_forward', value: '1', why: 'pods and services are routed through the node' },
  { path: '/proc/sys/net/ipv4/conf/all/route_localnet', value: '1', why: 'NodePorts answer on 127.0.0.1' },
  // only there when br_netfilter is loaded: bridged pod-to-pod traffic must see the service rules
  { path: '/proc/sys/net/bridge/bridge-nf-call-iptables', value: '1', why: 'bridged traffic passes iptables', optional: true },
];

export function ensureSysctls(log: Logger): void {
  for (const s of REQUIRED) {
    if (s.optional && !existsSync(s.path)) continue;
    try {
      if (readFileSync(s.path, 'utf8').trim() === s.value) continue;
      writeFileSync(s.path, s.value);
      log.info('sysctl set', { path: s.path, value: s.value, why: s.why });
    } catch (e) {
      log.warn('cannot set sysctl', { path: s.path, value: s.value, err: (e as Error).message });
    }
  }
}
