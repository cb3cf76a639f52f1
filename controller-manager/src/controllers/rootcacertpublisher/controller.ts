// Root CA publisher: every namespace that is not terminating has a ConfigMap
// `kube-root-ca.crt` holding the cluster CA (key ca.crt), which pods' ServiceAccount token
// volumes project; a changed or deleted one is put back.
import { readFileSync } from 'node:fs';
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isAlreadyExists, isNotFound } from '../../lib/api-errors.ts';

export interface RootCaConfig {
  /** --root-ca-file: without it the controller does nothing */
  rootCaFile: string;
}

export const name = 'root-ca-cert-publisher';
export const configMapName = 'kube-root-ca.crt';

type Obj = {
  metadata: { name?: string; namespace?: string; deletionTimestamp?: any; [k: string]: any };
  status?: any;
  data?: Record<string, string>;
  [k: string]: any;
};

export async function start(ctx: ControllerDeps<RootCaConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const file = ctx.config?.rootCaFile;
  if (!file) {
    log.info('no --root-ca-file: kube-root-ca.crt ConfigMaps are not published');
    return async () => {};
  }
  const ca = readFileSync(file, 'utf8');
  const { core } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const namespaces = informers.on<Obj>('/api/v1/namespaces', () => core.listNamespace());
  // shared with other controllers by path, so all ConfigMaps are cached; only ours matter here
  const maps = informers.on<Obj>('/api/v1/configmaps', () => core.listConfigMapForAllNamespaces());
  const queue = new WorkQueue<string>();
  namespaces.on({ add: (ns) => queue.add(ns.metadata.name!), update: (ns) => queue.add(ns.metadata.name!) });
  const requeue = (cm: Obj) => {
    if (cm.metadata.name === configMapName) queue.add(cm.metadata.namespace!);
  };
  maps.on({ update: requeue, delete: requeue });
  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: 2,
    reconcile: (ns) => publish(core, namespaces, maps, ns, ca),
  });
}

export async function publish(core: CoreV1Api, namespaces: Informer<Obj>, maps: Informer<Obj>, nsName: string, ca: string): Promise<void> {
  const ns = namespaces.get(nsName);
  if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
  const current = maps.get(configMapName, nsName);
  if (current?.data?.['ca.crt'] === ca) return;
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName,
      namespace: nsName,
      annotations: {
        'kubernetes.io/description':
          'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
      },
    },
    data: { 'ca.crt': ca },
  };
  try {
    if (current)
      await core.replaceNamespacedConfigMap({
        name: configMapName,
        namespace: nsName,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } },
      });
    else await core.createNamespacedConfigMap({ namespace: nsName, body });
  } catch (e) {
    if (isAlreadyExists(e) || isNotFound(e)) throw new Error(`kube-root-ca.crt in ${nsName} changed under us; retrying`);
    throw e;
  }
}
