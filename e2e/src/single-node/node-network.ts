// The single node's "machine": a network namespace of its own, joined to the host by a veth
// pair, the way a VM sits on a host-only network. Everything the cluster programs into the
// network (iptables chains of the proxy, the CNI bridge, pod routes, conntrack) lives in there,
// so the suite never meets a `make up` cluster or a lab on this host, whose proxies use the
// same chain names and whose pods use the same CIDRs.
import { existsSync } from 'node:fs';
import { run, runOk } from './run.ts';

export interface NodeNetwork {
  /** name under /var/run/netns */
  netns: string;
  /** host end of the veth pair */
  hostVeth: string;
  /** the host's address on the link */
  hostIP: string;
  /** the node's address (its eth0): InternalIP, NodePorts, apiserver */
  nodeIP: string;
}

// 10.252-10.254 belong to the labs (e2e/src/lab/layout.ts); 10.251.N.0/30 is ours.
const NET_PREFIX = '10.251';
const MAX_NETWORKS = 20;

function layout(index: number): NodeNetwork {
  return {
    netns: `skiff-sn${index}`,
    hostVeth: `skiffsn${index}-h`,
    hostIP: `${NET_PREFIX}.${index}.1`,
    nodeIP: `${NET_PREFIX}.${index}.2`,
  };
}

async function addressInUse(prefix: string): Promise<boolean> {
  const out = await runOk('ip', ['-4', '-o', 'addr', 'show']);
  return out.includes(` ${prefix}`);
}

/** Creates the first free namespace skiff-sn0..19; `ip netns add` failing on a taken name is the lock. */
export async function createNodeNetwork(): Promise<NodeNetwork> {
  for (let i = 0; i < MAX_NETWORKS; i++) {
    const net = layout(i);
    if (existsSync(`/var/run/netns/${net.netns}`) || (await addressInUse(`${NET_PREFIX}.${i}.`))) continue;
    if ((await run('ip', ['netns', 'add', net.netns])).code !== 0) continue;
    try {
      // made inside the namespace so eth0 gets the lowest interface index there: the kubelet
      // reports the first non-loopback address, which must not become the CNI bridge's
      await runOk('ip', ['link', 'add', net.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', net.netns]);
      await runOk('ip', ['addr', 'add', `${net.hostIP}/30`, 'dev', net.hostVeth]);
      await runOk('ip', ['link', 'set', net.hostVeth, 'up']);
      const inNs = (...args: string[]) => runOk('ip', ['-n', net.netns, ...args]);
      await inNs('link', 'set', 'lo', 'up');
      await inNs('addr', 'add', `${net.nodeIP}/30`, 'dev', 'eth0');
      await inNs('link', 'set', 'eth0', 'up');
      await inNs('route', 'add', 'default', 'via', net.hostIP);
      return net;
    } catch (e) {
      await removeNodeNetwork(net);
      throw e;
    }
  }
  throw new Error(`no free node network: ${MAX_NETWORKS} namespaces skiff-sn* are taken (left over? 'ip netns list')`);
}

/** The command line that runs COMMAND inside the node's network namespace (only the network: cgroup mounts stay visible to runc). */
export function inNode(net: NodeNetwork, command: string, args: readonly string[]): [string, string[]] {
  return ['nsenter', [`--net=/var/run/netns/${net.netns}`, command, ...args]];
}

/** Removes the namespace and the link; waits until the kernel has really let go of the veth. */
export async function removeNodeNetwork(net: NodeNetwork): Promise<void> {
  await run('ip', ['netns', 'del', net.netns]);
  const deadline = Date.now() + 10_000;
  // the namespace is torn down asynchronously; its veth end takes the host end along
  while (Date.now() < deadline && (await run('ip', ['link', 'show', net.hostVeth])).code === 0) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await run('ip', ['link', 'del', net.hostVeth]);
}
