// What my controllers take from the controller-manager's ControllerContext. Everything but
// the kubeconfig is optional, so a test can start one controller with just a kubeconfig:
// without the shared informer factory a controller builds (and stops) its own informers,
// without metrics it simply records none.
import { Informer, createLogger } from '@skiff/common';
import type { Logger } from '@skiff/common';
import { ApisApi, CertificatesV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject, KubernetesListObject } from '@kubernetes/client-node';
import type { ControllerContext } from '../../controller-context.ts';
import { errorText } from '../../lib/api-errors.ts';

export type ControllerDeps<C = object> = Pick<ControllerContext, 'kubeConfig'> &
  Partial<Pick<ControllerContext, 'log' | 'informers' | 'metrics'>> & { config?: Partial<C> };

/** The client-node APIs these controllers call. */
export interface Apis {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  coordination: CoordinationV1Api;
  certificates: CertificatesV1Api;
  /** the /apis group list, for discovery */
  groups: ApisApi;
  /** /apis/G/V resource lists and collection deletes of any group, for discovery-driven work */
  customObjects: CustomObjectsApi;
  /** read/list/patch/delete of any kind the API serves (it resolves kinds through discovery) */
  objects: KubernetesObjectApi;
}

const apisByConfig = new WeakMap<object, Apis>();

/** One set of API clients per kubeconfig, so KubernetesObjectApi's discovery cache is shared. */
export function apisFor(deps: ControllerDeps): Apis {
  let apis = apisByConfig.get(deps.kubeConfig);
  if (!apis) {
    const kc = deps.kubeConfig;
    apis = {
      core: kc.makeApiClient(CoreV1Api),
      discovery: kc.makeApiClient(DiscoveryV1Api),
      coordination: kc.makeApiClient(CoordinationV1Api),
      certificates: kc.makeApiClient(CertificatesV1Api),
      groups: kc.makeApiClient(ApisApi),
      customObjects: kc.makeApiClient(CustomObjectsApi),
      objects: KubernetesObjectApi.makeApiClient(kc),
    };
    apisByConfig.set(kc, apis);
  }
  return apis;
}

export function loggerFor(deps: ControllerDeps, controller: string): Logger {
  return deps.log ? deps.log.child({ controller }) : createLogger('controller-manager', { controller });
}

/** Informers of one controller: shared ones from the factory when there is one, else its own. */
export class InformerSet {
  private readonly deps: ControllerDeps;
  private readonly log: Logger;
  private readonly own: Informer<any>[] = [];
  private started = false;
  readonly all: Informer<any>[] = [];

  constructor(deps: ControllerDeps, log: Logger) {
    this.deps = deps;
    this.log = log;
  }

  /**
   * An informer watching a collection path such as /api/v1/pods, listing with `list`
   * (a client-node list call of the same collection; T is the caller's view of the items).
   */
  on<T extends KubernetesObject>(path: string, listItems: () => Promise<KubernetesListObject<KubernetesObject>>): Informer<T> {
    const list = listItems as () => Promise<KubernetesListObject<T>>;
    let inf: Informer<T>;
    if (this.deps.informers) {
      inf = this.deps.informers.informerFor<T>(path, list);
    } else {
      inf = new Informer<T>({ kubeConfig: this.deps.kubeConfig, path, list, log: this.log });
      this.own.push(inf);
      // asked for after start (a resource discovery found later): runs right away
      if (this.started) void inf.start();
    }
    this.all.push(inf);
    return inf;
  }

  /**
   * Gives up an informer of `on` whose resource is gone: stops it if it is this set's own,
   * else releases it to the factory (which stops it once no one else uses it).
   */
  drop(informer: Informer<any>, path: string): void {
    const at = this.all.indexOf(informer);
    if (at >= 0) this.all.splice(at, 1);
    const own = this.own.indexOf(informer);
    if (own >= 0) {
      this.own.splice(own, 1);
      informer.stop();
    } else this.deps.informers?.release(path);
  }

  /** Starts the informers this set made itself (shared ones run with the factory). */
  start(): void {
    this.started = true;
    for (const i of this.own) void i.start();
  }
  stop(): void {
    this.started = false;
    for (const i of this.own) i.stop();
  }
}

/** A running controller's stop function. */
export type { StopController as Stop } from '@skiff/common';

/** What every controller built on InformerSet hands the shared runner besides its own options. */
export function runnerDeps(deps: ControllerDeps, informers: InformerSet) {
  return { metrics: deps.metrics, caches: informers.all, owned: informers, describeError: errorText };
}
