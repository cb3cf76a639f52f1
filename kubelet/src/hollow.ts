// Hollow nodes: N kubelets with the simulated runtime in one process (as kubemark does),
// sharing one set of API clients (and so one keep-alive agent, see reuseConnections); each
// registers, heartbeats and runs its pods on paper. With `serve`, each also serves its node
// API (so /metrics/resource can be scraped) on an address of its own in 127.0.0.0/8, which
// it reports as its InternalIP: all of 127/8 is this machine's loopback on Linux. They share
// one self-signed serving certificate (made for the first), so callers skip verifying it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { reuseConnections, type Logger } from '@skiff/common';
import { apiClients } from './api/client.ts';
import { Kubelet } from './kubelet.ts';
import { machineInfo } from './node/machine.ts';

export interface HollowOptions {
  /** wrapped (again, if loadKubeConfig built it) by reuseConnections to lift its socket limit */
  kubeConfig: KubeConfig;
  count: number;
  prefix?: string;
  readyDelayMs?: number;
  /** usage a running container reports, as a fraction of its requests (see stats/synthetic-stats.ts) */
  usageFactor?: number;
  log: Logger;
  /** how many kubelets start at once */
  startConcurrency?: number;
  /** serve each node API on 127.x.y.z (its InternalIP), on a free port */
  serve?: boolean;
  /** the number of the first node (its name's suffix and its address): processes that share a prefix count on */
  firstIndex?: number;
}

export interface HollowNodes {
  kubelets: Kubelet[];
  stop(): Promise<void>;
}

export async function runHollowNodes(o: HollowOptions): Promise<HollowNodes> {
  const api = apiClients(reuseConnections(o.kubeConfig, 256));
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-hollow-'));
  const machine = { ...machineInfo(rootDir), cpus: 4, memoryBytes: 16 * 2 ** 30, ephemeralStorageBytes: 100 * 2 ** 30 };
  const kubelets: Kubelet[] = [];
  const first = o.firstIndex ?? 0;
  for (let n = 0; n < o.count; n++) {
    const i = first + n;
    const nodeIP = o.serve
      ? `127.${128 + Math.floor((i + 1) / 65536)}.${Math.floor((i + 1) / 256) % 256}.${(i + 1) % 256}`
      : `10.${128 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
    kubelets.push(
      new Kubelet({
        kubeConfig: o.kubeConfig,
        nodeName: `${o.prefix ?? 'hollow-node-'}${i}`,
        nodeIP,
        rootDir,
        runtime: 'simulated',
        simulatedReadyDelayMs: o.readyDelayMs ?? 1000,
        simulatedUsageFactor: o.usageFactor,
        port: o.serve ? 0 : -1,
        bindAddress: nodeIP,
        api,
        machine,
        labels: { 'skiff.io/hollow': 'true' },
        logger: o.log.child({ node: `${o.prefix ?? 'hollow-node-'}${i}` }),
        resyncMs: 10_000,
        // Hundreds of recorders, each with its own queue and senders, would add several writes
        // per pod to what a density run measures; hollow pods run on paper, so they record none.
        recordEvents: false,
      }),
    );
  }
  const concurrency = o.startConcurrency ?? 25;
  for (let i = 0; i < kubelets.length; i += concurrency) await Promise.all(kubelets.slice(i, i + concurrency).map((k) => k.start()));
  o.log.info('hollow nodes running', { count: kubelets.length });
  return {
    kubelets,
    async stop() {
      await Promise.all(kubelets.map((k) => k.stop()));
      rmSync(rootDir, { recursive: true, force: true });
    },
  };
}
