// ServiceAccount controller: every namespace that is not terminating has a `default`
// ServiceAccount; one deleted by hand comes back.
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkQueue, runController } from '@skiff/common';
import type { Informer } from '@skiff/common';
import { apisFor, InformerSet, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isAlreadyExists } from '../../lib/api-errors.ts';

export interface ServiceAccountConfig {
  concurrentServiceAccountSyncs: number;
}

export const name = 'serviceaccount';
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

type Obj = { metadata: { name?: string; namespace?: string; deletionTimestamp?: any; [k: string]: any }; status?: any; [k: string]: any };

export async function start(ctx: ControllerDeps<ServiceAccountConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const { core } = apisFor(ctx);
  const informers = new InformerSet(ctx, log);
  const namespaces = informers.on<Obj>('/api/v1/namespaces', () => core.listNamespace());
  const accounts = informers.on<Obj>('/api/v1/serviceaccounts', () => core.listServiceAccountForAllNamespaces());
  const queue = new WorkQueue<string>();
  namespaces.on({ add: (ns) => queue.add(ns.metadata.name!), update: (ns) => queue.add(ns.metadata.name!) });
  accounts.on({
    delete: (sa) => {
      if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name!)) queue.add(sa.metadata.namespace!);
    },
  });
  return runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: ctx.config?.concurrentServiceAccountSyncs ?? 2,
    reconcile: (ns) => ensureServiceAccounts(core, namespaces, accounts, ns),
  });
}

export async function ensureServiceAccounts(core: CoreV1Api, namespaces: Informer<Obj>, accounts: Informer<Obj>, nsName: string): Promise<void> {
  const ns = namespaces.get(nsName);
  if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
  for (const saName of DEFAULT_SERVICE_ACCOUNTS) {
    if (accounts.get(saName, nsName)) continue;
    try {
      await core.createNamespacedServiceAccount({
        namespace: nsName,
        body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: saName, namespace: nsName } },
      });
    } catch (e) {
      // our cache was behind; or the namespace started terminating (Forbidden) in the meantime
      if (isAlreadyExists(e)) continue;
      throw e;
    }
  }
}
