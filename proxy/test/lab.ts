// A throw-away lab of network namespaces standing in for nodes and pods, built only from
// 10.252.0.0/16 and names this module owns: a root bridge skpx-br0 (10.252.0.1/24), node
// namespaces joined to it (10.252.0.<10+n>), a cni0 bridge per node (10.252.<128+n>.1/24)
// and pod namespaces behind it. Everything is removed by name afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnLogged, stopProcess } from '@skiff/common/testing/processes';
import type { Spawned } from '@skiff/common/testing/processes';

export const LAB_BRIDGE = 'skpx-br0';
export const LAB_GATEWAY = '10.252.0.1';

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
}

export function inNs(ns: string, cmd: string, args: string[], input?: string): string {
  return sh('nsenter', [`--net=/var/run/netns/${ns}`, cmd, ...args], input);
}

export interface LabNode {
  name: string;
  ns: string;
  ip: string;
  podCIDR: string;
  index: number;
}
export interface LabPod {
  name: string;
  ns: string;
  ip: string;
  node: LabNode;
  server?: Spawned;
}

export class Lab {
  readonly prefix: string;
  readonly nodes: LabNode[] = [];
  readonly pods: LabPod[] = [];
  private readonly namespaces: string[] = [];
  private readonly processes: Spawned[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'skiff-proxy-lab-'));

  /** prefix: a short tag so that the test and the bench never share names (e.g. 't', 'b') */
  constructor(prefix: string) {
    if (!/^[a-z]{1,2}$/.test(prefix)) throw new Error('lab prefix must be one or two lowercase letters');
    this.prefix = prefix;
  }

  private nsName(suffix: string): string {
    return `skiffpx-${this.prefix}-${suffix}`;
  }

  private addNs(name: string): void {
    if (existsSync(`/var/run/netns/${name}`)) sh('ip', ['netns', 'del', name]);
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
  }

  ensureBridge(): void {
    const exists = (() => {
      try {
        sh('ip', ['link', 'show', LAB_BRIDGE]);
        return true;
      } catch {
        return false;
      }
    })();
    if (!exists) sh('ip', ['link', 'add', LAB_BRIDGE, 'type', 'bridge']);
    sh('ip', ['addr', 'replace', `${LAB_GATEWAY}/24`, 'dev', LAB_BRIDGE]);
    sh('ip', ['link', 'set', LAB_BRIDGE, 'up']);
  }

  /** A "VM": namespace on the lab bridge, with a cni0 bridge for its pods. */
  addNode(index: number): LabNode {
    this.ensureBridge();
    const node: LabNode = {
      name: `${this.prefix}-node${index}`,
      ns: this.nsName(`n${index}`),
      ip: `10.252.0.${10 + index + (this.prefix === 'b' ? 100 : 0)}`,
      podCIDR: `10.252.${128 + index + (this.prefix === 'b' ? 60 : 0)}.0/24`,
      index,
    };
    this.addNs(node.ns);
    const host = `skpx${this.prefix}${index}h`;
    try {
      sh('ip', ['link', 'del', host]);
    } catch {
      /* not there */
    }
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', `skpx${this.prefix}${index}c`]);
    sh('ip', ['link', 'set', `skpx${this.prefix}${index}c`, 'netns', node.ns]);
    sh('ip', ['link', 'set', host, 'master', LAB_BRIDGE, 'up']);
    inNs(node.ns, 'ip', ['link', 'set', `skpx${this.prefix}${index}c`, 'name', 'eth0']);
    inNs(node.ns, 'ip', ['addr', 'add', `${node.ip}/24`, 'dev', 'eth0']);
    inNs(node.ns, 'ip', ['link', 'set', 'eth0', 'up']);
    inNs(node.ns, 'ip', ['route', 'add', 'default', 'via', LAB_GATEWAY]);
    inNs(node.ns, 'ip', ['link', 'add', 'cni0', 'type', 'bridge']);
    inNs(node.ns, 'ip', ['addr', 'add', `${this.podGateway(node)}/24`, 'dev', 'cni0']);
    inNs(node.ns, 'ip', ['link', 'set', 'cni0', 'up']);
    this.nodes.push(node);
    return node;
  }

  podGateway(node: LabNode): string {
    return node.podCIDR.replace(/\.0\/24$/, '.1');
  }

  /** A "pod": namespace behind the node's cni0, serving its own name over HTTP on port 8080. */
  addPod(node: LabNode, index: number, serve = true): LabPod {
    const pod: LabPod = {
      name: `pod-${node.index}-${index}`,
      ns: this.nsName(`n${node.index}p${index}`),
      ip: node.podCIDR.replace(/\.0\/24$/, `.${10 + index}`),
      node,
    };
    this.addNs(pod.ns);
    const host = `skpx${this.prefix}${node.index}p${index}`;
    const peer = `${host}c`;
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    sh('ip', ['link', 'set', host, 'netns', node.ns]);
    sh('ip', ['link', 'set', peer, 'netns', pod.ns]);
    inNs(node.ns, 'ip', ['link', 'set', host, 'master', 'cni0', 'up']);
    // a pod reaching itself through its service comes back through the same bridge port
    inNs(node.ns, 'ip', ['link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on']);
    inNs(pod.ns, 'ip', ['link', 'set', peer, 'name', 'eth0']);
    inNs(pod.ns, 'ip', ['addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
    inNs(pod.ns, 'ip', ['link', 'set', 'eth0', 'up']);
    inNs(pod.ns, 'ip', ['route', 'add', 'default', 'via', this.podGateway(node)]);
    if (serve) {
      const www = join(this.dir, pod.name);
      rmSync(www, { recursive: true, force: true });
      execFileSync('mkdir', ['-p', www]);
      writeFileSync(join(www, 'index.html'), `${pod.name}\n`);
      pod.server = this.spawn(pod.ns, 'busybox', ['httpd', '-f', '-p', '8080', '-h', www], `${pod.name}.log`);
    }
    this.pods.push(pod);
    return pod;
  }

  /** A process in a namespace, stopped by PID in destroy(). */
  spawn(ns: string, cmd: string, args: string[], logName: string): Spawned {
    const p = spawnLogged('nsenter', [`--net=/var/run/netns/${ns}`, cmd, ...args], join(this.dir, logName));
    this.processes.push(p);
    return p;
  }

  logPath(logName: string): string {
    return join(this.dir, logName);
  }

  /** GET over HTTP from inside a namespace; throws with curl's message on failure. */
  get(ns: string, url: string, timeoutSeconds = 2): string {
    // curl, not busybox wget: the static busybox's wget crashes in this sandbox
    return inNs(ns, 'curl', ['-sS', '--fail', '-m', String(timeoutSeconds), url]).trim();
  }

  async destroy(): Promise<void> {
    for (const p of this.processes.splice(0).reverse()) await stopProcess(p, 2000);
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    // the bridge is shared by the test and the bench; the last one out removes it
    // veths vanish a moment after their namespace; the last lab out removes the bridge
    for (let i = 0; i < 20; i++) {
      try {
        if (!sh('ip', ['-o', 'link', 'show', 'master', LAB_BRIDGE]).trim()) {
          sh('ip', ['link', 'del', LAB_BRIDGE]);
          break;
        }
      } catch {
        break; /* gone already */
      }
      await sleep(100);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
