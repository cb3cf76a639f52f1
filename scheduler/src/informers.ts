// Feeds the scheduler from list+watch of pods, nodes and namespaces.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import type { Scheduler } from './scheduler.ts';

export interface SchedulerInformers {
  pods: Informer<V1Pod>;
  nodes: Informer<V1Node>;
  namespaces: Informer<V1Namespace>;
  start(): Promise<void>;
  stop(): void;
}

export function wireInformers(kc: KubeConfig, s: Scheduler, log: Logger): SchedulerInformers {
  const core = kc.makeApiClient(CoreV1Api);
  // finished pods hold no resources: the apiserver leaves them out, as kube-scheduler asks it to
  const podSelector = 'status.phase!=Succeeded,status.phase!=Failed';
  const pods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: '/api/v1/pods',
    fieldSelector: podSelector,
    log,
    list: () => core.listPodForAllNamespaces({ fieldSelector: podSelector }),
  }).on({ add: s.onPodAdd, update: s.onPodUpdate, delete: s.onPodDelete });
  const nodes = new Informer<V1Node>({ kubeConfig: kc, path: '/api/v1/nodes', log, list: () => core.listNode() }).on({
    add: s.onNodeAdd,
    update: s.onNodeUpdate,
    delete: s.onNodeDelete,
  });
  const namespaces = new Informer<V1Namespace>({ kubeConfig: kc, path: '/api/v1/namespaces', log, list: () => core.listNamespace() }).on({
    add: (ns) => s.cache.setNamespace(ns.metadata?.name ?? '', ns.metadata?.labels),
    update: (ns) => s.cache.setNamespace(ns.metadata?.name ?? '', ns.metadata?.labels),
    delete: (ns) => s.cache.removeNamespace(ns.metadata?.name ?? ''),
  });
  return {
    pods,
    nodes,
    namespaces,
    async start() {
      // nodes first, so that the first pods already see every node
      await Promise.all([nodes.start(), namespaces.start()]);
      await Promise.all([nodes.waitForSync(), namespaces.waitForSync()]);
      await pods.start();
      await pods.waitForSync();
    },
    stop() {
      pods.stop();
      nodes.stop();
      namespaces.stop();
    },
  };
}
