// The node's CNI network: bridge + host-local IPAM for spec.podCIDR, portmap (hostPort),
// and loopback, written where containerd's CRI plugin reads it (conf dir, first file wins).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CniOptions {
  confDir: string;
  podCIDR: string;
  bridge?: string;
  ipamDataDir?: string;
  ipMasq?: boolean;
}

export const CNI_FILE = '10-skiff.conflist';

export function cniConflist(o: CniOptions): object {
  const [net, bits] = o.podCIDR.split('/');
  if (!net || !bits || !/^\d+\.\d+\.\d+\.\d+$/.test(net)) throw new Error(`podCIDR must be an IPv4 CIDR, got "${o.podCIDR}"`);
  const ipam: Record<string, unknown> = { type: 'host-local', ranges: [[{ subnet: o.podCIDR }]], routes: [{ dst: '0.0.0.0/0' }] };
  if (o.ipamDataDir) ipam.dataDir = o.ipamDataDir;
  return {
    cniVersion: '0.4.0',
    name: 'skiff',
    plugins: [
      { type: 'bridge', bridge: o.bridge ?? 'cni0', isGateway: true, ipMasq: o.ipMasq ?? true, hairpinMode: true, ipam },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'loopback' },
    ],
  };
}

/** Writes the conflist (atomically); returns false when it was already up to date. */
export function writeCniConfig(o: CniOptions): boolean {
  mkdirSync(o.confDir, { recursive: true });
  const path = join(o.confDir, CNI_FILE);
  const text = JSON.stringify(cniConflist(o), null, 2) + '\n';
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    /* absent */
  }
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return true;
}
