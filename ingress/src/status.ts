// Ingress status: status.loadBalancer.ingress lists the addresses clients reach the
// controller on: the --publish-address list, or else the InternalIP of every Ready node (the
// controller runs on each node). Every instance computes the same answer, so writes are
// idempotent: an Ingress already showing it is not written.
import { NetworkingV1Api, type KubeConfig, type V1Ingress, type V1Node } from '@kubernetes/client-node';
import type { Logger } from '@skiff/common';

export function nodeAddresses(nodes: readonly V1Node[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ready && ip) out.add(ip);
  }
  return [...out].sort();
}

export function sameAddresses(ing: V1Ingress, want: readonly string[]): boolean {
  const have = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
  return have.length === want.length && have.every((a, i) => a === want[i]);
}

export class StatusWriter {
  private readonly api: NetworkingV1Api;
  private running = false;
  private again = false;

  private readonly log: Logger;

  constructor(kc: KubeConfig, log: Logger) {
    this.log = log;
    this.api = kc.makeApiClient(NetworkingV1Api);
  }

  /** Brings each Ingress's status to `addresses`; one pass at a time, the latest view wins. */
  async sync(ingresses: readonly V1Ingress[], addresses: readonly string[]): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (const ing of ingresses) {
        if (sameAddresses(ing, addresses)) continue;
        const ns = ing.metadata?.namespace ?? 'default';
        const name = ing.metadata?.name ?? '';
        const body = { ...ing, status: { loadBalancer: { ingress: addresses.map((ip) => ({ ip })) } } };
        try {
          await this.api.replaceNamespacedIngressStatus({ name, namespace: ns, body });
          this.log.info('ingress status updated', { ingress: `${ns}/${name}`, addresses });
        } catch (e: any) {
          // a conflict means a newer version is on its way through the informer: the next pass takes it
          if (e?.code !== 409) this.log.warn('ingress status update failed', { ingress: `${ns}/${name}`, err: String(e?.message ?? e) });
        }
      }
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.pending?.();
    }
  }

  /** Called when a pass was asked for while one ran. */
  pending: (() => void) | undefined;
}
