// The zone's view of the cluster: informer caches of Services and EndpointSlices.
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import type { ClusterState } from './records.ts';

export class InformerClusterState implements ClusterState {
  readonly servicesInformer: Informer<V1Service>;
  readonly slicesInformer: Informer<V1EndpointSlice>;

  constructor(kc: KubeConfig, log: Logger) {
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    this.servicesInformer = new Informer<V1Service>({ kubeConfig: kc, path: '/api/v1/services', list: () => core.listServiceForAllNamespaces(), log });
    this.slicesInformer = new Informer<V1EndpointSlice>({
      kubeConfig: kc,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: () => discovery.listEndpointSliceForAllNamespaces(),
      log,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.servicesInformer.start(), this.slicesInformer.start()]);
    await Promise.all([this.servicesInformer.waitForSync(), this.slicesInformer.waitForSync()]);
  }

  stop(): void {
    this.servicesInformer.stop();
    this.slicesInformer.stop();
  }
  hasSynced(): boolean {
    return this.servicesInformer.hasSynced() && this.slicesInformer.hasSynced();
  }

  services(namespace?: string): readonly V1Service[] {
    return this.servicesInformer.list(namespace);
  }
  service(namespace: string, name: string): V1Service | undefined {
    return this.servicesInformer.get(name, namespace);
  }
  slices(namespace: string): readonly V1EndpointSlice[] {
    return this.slicesInformer.list(namespace);
  }
}
