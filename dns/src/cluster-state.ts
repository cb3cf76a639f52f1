// The zone's view of the cluster: informer caches of Services, EndpointSlices and Namespaces
// (pod names answer only in a namespace that exists, as CoreDNS's do).
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Namespace, V1Service } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import type { ClusterState } from './records.ts';

export class InformerClusterState implements ClusterState {
  readonly servicesInformer: Informer<V1Service>;
  readonly slicesInformer: Informer<V1EndpointSlice>;
  readonly namespacesInformer: Informer<V1Namespace>;

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
    this.namespacesInformer = new Informer<V1Namespace>({ kubeConfig: kc, path: '/api/v1/namespaces', list: () => core.listNamespace(), log });
  }

  async start(): Promise<void> {
    const informers = [this.servicesInformer, this.slicesInformer, this.namespacesInformer];
    await Promise.all(informers.map((i) => i.start()));
    await Promise.all(informers.map((i) => i.waitForSync()));
  }

  stop(): void {
    this.servicesInformer.stop();
    this.slicesInformer.stop();
    this.namespacesInformer.stop();
  }
  hasSynced(): boolean {
    return this.servicesInformer.hasSynced() && this.slicesInformer.hasSynced() && this.namespacesInformer.hasSynced();
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
  namespaceExists(name: string): boolean {
    return this.namespacesInformer.get(name) !== undefined;
  }
}
