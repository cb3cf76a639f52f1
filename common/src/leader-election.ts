// Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
// acquire when the lease is free or expired, renew every retry period, step down when a
// renewal misses the renew deadline.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from './log.ts';
import type { ServiceCheck } from './service.ts';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  log?: Logger;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly o: Required<Omit<LeaderElectionOptions, 'log'>> & { log?: Logger };
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;

  constructor(o: LeaderElectionOptions) {
    this.o = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, ...o };
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * The /healthz check of upstream's leaderelection.HealthzAdaptor ("leaderElection"): it fails
   * while this replica believes it leads but has not renewed its Lease for the lease duration
   * plus a tolerance (20 s in kube-controller-manager and kube-scheduler). A renew loop that
   * hangs (a request that never returns) then shows as unhealthy instead of a silent leader.
   */
  healthCheck(tolerableExpiredSeconds = 20): ServiceCheck {
    return {
      name: 'leaderElection',
      check: () => !this.leading || !leaseRenewalOverdue(this.lastRenew, Date.now(), this.o.leaseDurationSeconds, tolerableExpiredSeconds),
    };
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Gives the lease up so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      try {
        const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
        if (lease.spec?.holderIdentity === this.o.identity) {
          lease.spec.holderIdentity = undefined as any;
          lease.spec.leaseDurationSeconds = 1;
          await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
        }
      } catch {
        /* best effort */
      }
      this.setLeading(false);
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.log?.info(v ? 'became leader' : 'lost leadership', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    if (v) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenew = Date.now();
        this.setLeading(true);
      } else if (this.leading) this.setLeading(false);
    } catch (e) {
      this.o.log?.debug('lease attempt failed', { err: (e as Error).message });
      if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineSeconds * 1000) this.setLeading(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodSeconds * 1000);
      this.timer.unref?.();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (e: any) {
      if (e?.code !== 404 && e?.statusCode !== 404 && e?.response?.statusCode !== 404) throw e;
    }
    if (!lease) {
      await this.api.createNamespacedLease({
        namespace: this.o.namespace,
        body: {
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: this.o.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renew = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renew + (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000 < now.getTime();
    if (holder && holder !== this.o.identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.o.identity ? 0 : 1);
    lease.spec = {
      ...spec,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewTime: now,
      leaseTransitions: transitions,
      acquireTime: holder === this.o.identity ? spec.acquireTime : now,
    };
    await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
    return true;
  }
}

/** Whether a leader's last renewal (ms) is older than its lease plus the tolerance, at `now` (ms). */
export function leaseRenewalOverdue(lastRenewMs: number, nowMs: number, leaseDurationSeconds: number, tolerableExpiredSeconds: number): boolean {
  return nowMs - lastRenewMs > (leaseDurationSeconds + tolerableExpiredSeconds) * 1000;
}
