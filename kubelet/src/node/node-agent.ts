// Registers the Node, renews its Lease every 10 s, posts status on change and at least every
// 5 minutes (upstream's nodeStatusReportFrequency: the Lease is the heartbeat the node
// lifecycle controller reads), and waits for a podCIDR (else the --pod-cidr fallback) to
// write CNI config before reporting Ready.
import os from 'node:os';
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from '@skiff/common';
import { isAlreadyExists, isNotFound, mergePatch, type ApiClients } from '../api/client.ts';
import { SHUTDOWN_CORDON_ANNOTATION } from './drain.ts';
import { nodeObject, nodeStatus, statusFingerprint, type Health, type NodeIdentity } from './node-status.ts';

const REGISTER_FIRST_DELAY_MS = 100;
const REGISTER_MAX_DELAY_MS = 7000;

/** kubelet's nodeStatusReportFrequency default: an unchanged status is still posted this often */
export const NODE_STATUS_REPORT_FREQUENCY_MS = 5 * 60_000;

export interface NodeAgentOptions {
  api: ApiClients;
  identity: NodeIdentity;
  log: Logger;
  /** runtime health, checked before each status post */
  runtimeReady: () => Promise<{ ok: boolean; message: string }>;
  /** called with the pod CIDR once known (writes CNI config); absent for simulated nodes */
  onPodCIDR?: (cidr: string) => Promise<void> | void;
  fallbackPodCIDR?: string;
  podCIDRWaitMs?: number;
  leaseDurationSeconds?: number;
  leaseRenewMs?: number;
  statusCheckMs?: number;
  statusMaxAgeMs?: number;
}

export class NodeAgent {
  private readonly o: NodeAgentOptions;
  private node?: V1Node;
  private lastPostedFingerprint = '';
  private lastPostedAt = 0;
  private podCIDR = '';
  private timers: NodeJS.Timeout[] = [];
  private startedAt = Date.now();
  private stopped = false;
  private statusBusy = false;

  /** mutable until start(): the runtime version and port are learnt late */
  readonly identity: NodeIdentity;

  constructor(o: NodeAgentOptions) {
    this.o = o;
    this.identity = o.identity;
  }

  get name(): string {
    return this.o.identity.nodeName;
  }
  /** The pod network is configured (CNI config written for the podCIDR); always true without CNI duty. */
  get networkReady(): boolean {
    return !this.o.onPodCIDR || !!this.podCIDR;
  }
  get ready(): boolean {
    return this.node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }

  async start(): Promise<void> {
    await this.registerUntilDone();
    // a first renewal or status post that fails is not fatal: the loops below try again
    const firstTry = (what: string, fn: () => Promise<void>) =>
      fn().catch((e: unknown) => this.o.log.warn(`first ${what} failed; the loop retries it`, { node: this.name, err: e as Error }));
    await firstTry('lease renewal', () => this.renewLease());
    await firstTry('status post', () => this.syncStatus(true));
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => {
        if (!this.stopped) void fn().catch((e: unknown) => this.o.log.warn('node loop failed', { err: e as Error }));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.leaseRenewMs ?? 10_000, () => this.renewLease());
    every(this.o.statusCheckMs ?? 2_000, () => this.syncStatus(false));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  /**
   * Registers the node, trying again until it is done (upstream's registerWithAPIServer: 100 ms
   * doubling to 7 s): a busy or restarting apiserver must not make the kubelet exit.
   */
  private async registerUntilDone(): Promise<void> {
    for (let delayMs = REGISTER_FIRST_DELAY_MS; ; delayMs = Math.min(delayMs * 2, REGISTER_MAX_DELAY_MS)) {
      try {
        await this.register();
        return;
      } catch (e) {
        if (this.stopped) throw e;
        this.o.log.warn('could not register the node; trying again', { node: this.name, inMs: delayMs, err: e as Error });
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  private async register(): Promise<void> {
    const body = nodeObject(this.o.identity);
    try {
      this.node = await this.o.api.core.createNode({ body });
      this.o.log.info('registered node', { node: this.name });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Already registered (a restart): keep its spec, refresh our labels.
      this.node = await this.o.api.core.patchNode({ name: this.name, body: { metadata: { labels: body.metadata!.labels } } }, mergePatch);
      if (this.node.metadata?.annotations?.[SHUTDOWN_CORDON_ANNOTATION]) await this.lift();
    }
  }

  /** Lifts the cordon this kubelet set when it drained the node on its last shutdown (node/drain.ts). */
  private async lift(): Promise<void> {
    const body = { metadata: { annotations: { [SHUTDOWN_CORDON_ANNOTATION]: null } }, spec: { unschedulable: null } };
    this.node = await this.o.api.core.patchNode({ name: this.name, body }, mergePatch);
    this.o.log.info('uncordoned the node: the kubelet had cordoned it for its shutdown', { node: this.name });
  }

  private async renewLease(): Promise<void> {
    const namespace = 'kube-node-lease';
    // a Date: the apiserver widens it to MicroTime's six fractional digits
    const spec = { holderIdentity: this.name, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40, renewTime: new Date() };
    try {
      await this.o.api.coordination.patchNamespacedLease({ name: this.name, namespace, body: { spec } }, mergePatch);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.o.api.coordination
        .createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name: this.name,
              namespace,
              ownerReferences: this.node?.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.node.metadata.uid }] : undefined,
            },
            spec,
          },
        })
        .catch((err: unknown) => {
          if (!isAlreadyExists(err)) throw err;
        });
    }
  }

  private async ensurePodCIDR(): Promise<string> {
    if (this.podCIDR || !this.o.onPodCIDR) return this.podCIDR;
    let cidr = this.node?.spec?.podCIDR ?? '';
    if (!cidr) {
      const fresh = await this.o.api.core.readNode({ name: this.name });
      this.node = { ...fresh, status: this.node?.status ?? fresh.status };
      cidr = fresh.spec?.podCIDR ?? '';
    }
    if (!cidr && this.o.fallbackPodCIDR && Date.now() - this.startedAt > (this.o.podCIDRWaitMs ?? 3000)) {
      cidr = this.o.fallbackPodCIDR;
      this.o.log.info('no podCIDR assigned, using --pod-cidr', { cidr });
      await this.o.api.core.patchNode({ name: this.name, body: { spec: { podCIDR: cidr, podCIDRs: [cidr] } } }, mergePatch).catch(() => undefined);
    }
    if (cidr) {
      await this.o.onPodCIDR(cidr);
      this.podCIDR = cidr;
    }
    return cidr;
  }

  private async health(): Promise<Health> {
    const rt = await this.o.runtimeReady().catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    const cidrOk = !this.o.onPodCIDR || !!(await this.ensurePodCIDR().catch(() => ''));
    const ready = rt.ok && cidrOk;
    const free = os.freemem() / os.totalmem();
    return {
      ready,
      readyReason: ready ? 'KubeletReady' : 'KubeletNotReady',
      readyMessage: ready
        ? 'kubelet is posting ready status'
        : !rt.ok
          ? `container runtime is down: ${rt.message}`
          : 'network plugin not ready: no podCIDR assigned yet',
      memoryPressure: free < 0.02,
      diskPressure: false,
      pidPressure: false,
    };
  }

  async syncStatus(force: boolean): Promise<void> {
    if (this.statusBusy) return;
    this.statusBusy = true;
    try {
      const status = nodeStatus(this.o.identity, await this.health(), this.node?.status);
      const fp = statusFingerprint(status);
      const stale = Date.now() - this.lastPostedAt > (this.o.statusMaxAgeMs ?? NODE_STATUS_REPORT_FREQUENCY_MS);
      if (!force && !stale && fp === this.lastPostedFingerprint) return;
      this.node = await this.o.api.core.patchNodeStatus({ name: this.name, body: { status } }, mergePatch);
      this.lastPostedFingerprint = fp;
      this.lastPostedAt = Date.now();
    } finally {
      this.statusBusy = false;
    }
  }
}
