// The kinds the ReplicaSet controller's logic manages, as upstream's ReplicationManager wraps
// the ReplicaSetController: apps/v1 ReplicaSet itself, and core/v1 ReplicationController seen
// as a ReplicaSet (its equality selector map read as matchLabels; spec and status have the
// same fields otherwise).
import { AppsV1Api, CoreV1Api, type KubernetesObject, type V1ReplicaSet, type V1ReplicationController, type V1ReplicaSetStatus } from '@kubernetes/client-node';
import type { Informer } from '@skiff/common';
import type { ControllerContext } from '../../controller-context.ts';

export interface ReplicatedKind {
  /** the controller's name (--controllers, metrics, logs) */
  controllerName: string;
  /** the component its events come from, as kube-controller-manager names it */
  eventComponent: string;
  apiVersion: string;
  kind: string;
  workers: number;
  informer: Informer<KubernetesObject>;
  /** the informer's object as a ReplicaSet */
  asReplicaSet(obj: KubernetesObject): V1ReplicaSet;
  /** a fresh read, as a ReplicaSet */
  read(namespace: string, name: string): Promise<V1ReplicaSet>;
  /** writes `status` onto the object last read as `rs` (its resourceVersion guards the write) */
  replaceStatus(rs: V1ReplicaSet, status: V1ReplicaSetStatus): Promise<void>;
}

export function replicaSetKind(ctx: ControllerContext): ReplicatedKind {
  const apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
  return {
    controllerName: 'replicaset',
    eventComponent: 'replicaset-controller',
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    workers: ctx.config.concurrentReplicaSetSyncs,
    informer: ctx.informers.replicaSets(),
    asReplicaSet: (rs) => rs as V1ReplicaSet,
    read: (namespace, name) => apps.readNamespacedReplicaSet({ namespace, name }),
    replaceStatus: async (rs, status) => {
      await apps.replaceNamespacedReplicaSetStatus({ name: rs.metadata!.name!, namespace: rs.metadata!.namespace!, body: { ...rs, status } });
    },
  };
}

/** An RC as a ReplicaSet: the selector map becomes matchLabels. */
export function replicationControllerAsReplicaSet(rc: V1ReplicationController): V1ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: rc.metadata,
    spec: {
      replicas: rc.spec?.replicas,
      minReadySeconds: rc.spec?.minReadySeconds,
      selector: { matchLabels: { ...rc.spec?.selector } },
      template: rc.spec?.template,
    },
    status: rc.status as V1ReplicaSetStatus | undefined,
  };
}

export function replicationControllerKind(ctx: ControllerContext): ReplicatedKind {
  const core = ctx.kubeConfig.makeApiClient(CoreV1Api);
  return {
    controllerName: 'replicationcontroller',
    eventComponent: 'replication-controller',
    apiVersion: 'v1',
    kind: 'ReplicationController',
    workers: ctx.config.concurrentReplicaSetSyncs,
    informer: ctx.informers.informerFor<V1ReplicationController>('/api/v1/replicationcontrollers', () => core.listReplicationControllerForAllNamespaces()),
    asReplicaSet: (rc) => replicationControllerAsReplicaSet(rc as V1ReplicationController),
    read: async (namespace, name) => replicationControllerAsReplicaSet(await core.readNamespacedReplicationController({ namespace, name })),
    replaceStatus: async (rs, status) => {
      const name = rs.metadata!.name!;
      const namespace = rs.metadata!.namespace!;
      // the current RC carries our resourceVersion; only its status is replaced
      const rc: V1ReplicationController = {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: rs.metadata,
        spec: { replicas: rs.spec?.replicas, minReadySeconds: rs.spec?.minReadySeconds, selector: rs.spec?.selector?.matchLabels, template: rs.spec?.template },
        status,
      };
      await core.replaceNamespacedReplicationControllerStatus({ name, namespace, body: rc });
    },
  };
}
