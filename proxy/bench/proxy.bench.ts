// `make bench`: (1) rule sync time after one endpoint change with 1,000 Services, the
// compute + iptables-restore that every sync does; (2) requests/s through a NodePort vs.
// straight to the pod IP, with wrk from a client namespace on the lab bridge.
import { setTimeout as sleep } from 'node:timers/promises';
import { IptablesSyncer } from '../src/iptables.ts';
import type { IptablesRunner } from '../src/iptables.ts';
import { run } from '../src/exec.ts';
import { buildServicePorts } from '../src/model.ts';
import { computeRules } from '../src/rules.ts';
import { service, slice } from '../test/fixtures.ts';
import { Lab, inNs } from '../test/lab.ts';

const SERVICES = 1000;
const CLUSTER_CIDR = '10.252.128.0/17';

function nsIptables(ns: string): IptablesRunner {
  return {
    save: (table) => run('nsenter', [`--net=/var/run/netns/${ns}`, 'iptables-save', '-t', table]),
    restore: async (payload) => {
      await run('nsenter', [`--net=/var/run/netns/${ns}`, 'iptables-restore', '--noflush', '-w', '5'], payload);
    },
  };
}

function ipOf(i: number, base: number): string {
  return `10.${base}.${(i >> 8) & 255}.${i & 255}`;
}

function world(changed: number) {
  const services = [];
  const slices = [];
  for (let i = 0; i < SERVICES; i++) {
    services.push(
      service(`svc-${i}`, {
        clusterIP: ipOf(i + 10, 96),
        type: i % 10 === 0 ? 'NodePort' : 'ClusterIP',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: i % 10 === 0 ? 30000 + i : undefined }],
      }),
    );
    const eps = [0, 1, 2].map((k) => ({ ip: ipOf(i * 3 + k + (i === 0 ? changed : 0), 252) }));
    slices.push(slice(`svc-${i}`, eps));
  }
  return { services, slices };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function syncBench(lab: Lab): Promise<void> {
  const node = lab.addNode(1);
  const syncer = new IptablesSyncer(nsIptables(node.ns));
  const first = world(0);
  let t0 = process.hrtime.bigint();
  await syncer.apply(computeRules(buildServicePorts(first.services, first.slices, node.name), { clusterCIDR: CLUSTER_CIDR }));
  const fullMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const natRules = (await nsIptables(node.ns).save('nat')).split('\n').filter((l) => l.startsWith('-A SKIFF')).length;
  const times: number[] = [];
  for (let round = 1; round <= 7; round++) {
    const w = world(round * 7);
    t0 = process.hrtime.bigint();
    const ruleset = computeRules(buildServicePorts(w.services, w.slices, node.name), { clusterCIDR: CLUSTER_CIDR });
    const mode = await syncer.apply(ruleset);
    if (mode !== 'partial') throw new Error(`expected a partial sync, got ${mode}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`proxy full rule sync (start or periodic resync), ${SERVICES} Services: ${fullMs.toFixed(0)} ms`);
  console.log(
    `proxy rule sync after an endpoint change, ${SERVICES} Services (${natRules} nat rules): median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${times.length} syncs`,
  );
}

async function wrk(ns: string, url: string): Promise<number> {
  const out = inNs(ns, 'wrk', ['-t2', '-c16', '-d5s', url]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`wrk printed no rate:\n${out}`);
  return Number(m[1]);
}

async function throughputBench(lab: Lab): Promise<void> {
  const node = lab.nodes[0]!;
  const client = lab.addNode(2);
  const pod = lab.addPod(node, 1);
  inNs(client.ns, 'ip', ['route', 'add', node.podCIDR, 'via', node.ip]);
  inNs(node.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const nodePort = 31999;
  const svc = service('bench', { clusterIP: '10.96.250.1', type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort }] });
  const ports = buildServicePorts([svc], [slice('bench', [{ ip: pod.ip, node: node.name }])], node.name);
  await new IptablesSyncer(nsIptables(node.ns)).apply(computeRules(ports, { clusterCIDR: CLUSTER_CIDR }));
  await sleep(300);
  // sanity: both paths answer before measuring
  lab.get(client.ns, `http://${pod.ip}:8080/`);
  lab.get(client.ns, `http://${node.ip}:${nodePort}/`);
  const direct = await wrk(client.ns, `http://${pod.ip}:8080/`);
  const viaNodePort = await wrk(client.ns, `http://${node.ip}:${nodePort}/`);
  console.log(`requests/s straight to the pod IP: ${direct.toFixed(0)}`);
  console.log(`requests/s through the NodePort:   ${viaNodePort.toFixed(0)} (ratio ${(viaNodePort / direct).toFixed(2)})`);
}

const lab = new Lab('b');
try {
  await syncBench(lab);
  await throughputBench(lab);
} finally {
  await lab.destroy();
}
