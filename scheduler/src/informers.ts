// Feeds the scheduler from list+watch of pods, nodes and namespaces.
import { CoreV1Api, StorageV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace, V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
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
  const storage = wireVolumeInformers(kc, s, log);
  return {
    pods,
    nodes,
    namespaces,
    async start() {
      // nodes first, so that the first pods already see every node
      await Promise.all([nodes.start(), namespaces.start(), ...storage.map((i) => i.start())]);
      await Promise.all([nodes.waitForSync(), namespaces.waitForSync(), ...storage.map((i) => i.waitForSync())]);
      await pods.start();
      await pods.waitForSync();
    },
    stop() {
      pods.stop();
      nodes.stop();
      namespaces.stop();
      for (const i of storage) i.stop();
    },
  };
}

/** Claims, volumes and classes for VolumeBinding; a change may let parked pods fit. */
function wireVolumeInformers(kc: KubeConfig, s: Scheduler, log: Logger): Pick<Informer<unknown & object>, 'start' | 'waitForSync' | 'stop'>[] {
  const core = kc.makeApiClient(CoreV1Api);
  const storageApi = kc.makeApiClient(StorageV1Api);
  /** record the object, then give parked pods another chance */
  const andRetry =
    <T>(record: (o: T) => void) =>
    (o: T) => {
      record(o);
      s.queue.moveAllToActiveOrBackoff();
    };
  const claims = new Informer<V1PersistentVolumeClaim>({
    kubeConfig: kc,
    path: '/api/v1/persistentvolumeclaims',
    log,
    list: () => core.listPersistentVolumeClaimForAllNamespaces(),
  }).on({
    add: andRetry(s.volumes.setClaim),
    update: andRetry(s.volumes.setClaim),
    delete: s.volumes.removeClaim,
  });
  const volumes = new Informer<V1PersistentVolume>({ kubeConfig: kc, path: '/api/v1/persistentvolumes', log, list: () => core.listPersistentVolume() }).on({
    add: andRetry(s.volumes.setVolume),
    update: andRetry(s.volumes.setVolume),
    delete: s.volumes.removeVolume,
  });
  const classes = new Informer<V1StorageClass>({
    kubeConfig: kc,
    path: '/apis/storage.k8s.io/v1/storageclasses',
    log,
    list: () => storageApi.listStorageClass(),
  }).on({ add: andRetry(s.volumes.setClass), update: s.volumes.setClass, delete: s.volumes.removeClass });
  return [claims, volumes, classes];
}
