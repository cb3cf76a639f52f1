// The finders of upstream's disruption controller: a pod's controllerRef resolved to the
// workload whose replicas a percentage budget counts against. ReplicationControllers,
// Deployments (through their ReplicaSets) and bare ReplicaSets come from the informers; any
// other kind (a StatefulSet, a custom workload) through its /scale subresource, found by
// discovery.
import type { KubeConfig, V1Deployment, V1ReplicaSet, V1ReplicationController } from '@kubernetes/client-node';
import type { Informer } from '@skiff/common';
import { controllerOf } from '@skiff/common/apimachinery/owner-references';
import { callJson, HttpStatusError } from '@skiff/common/bootstrap/http';
import type { ControllerRefLike, ControllerScale } from './budget-math.ts';

export interface WorkloadInformers {
  replicationControllers: Informer<V1ReplicationController>;
  replicaSets: Informer<V1ReplicaSet>;
  deployments: Informer<V1Deployment>;
}

type Finder = (ref: ControllerRefLike, namespace: string) => Promise<ControllerScale | undefined>;

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** verifyGroupKind */
const isKind = (ref: ControllerRefLike, kind: string, groups: string[]) => ref.kind === kind && groups.includes(groupOf(ref.apiVersion));

export class ScaleFinders {
  private readonly kubeConfig: KubeConfig;
  private readonly informers: WorkloadInformers;
  /** "group/version/Kind" → plural resource, from discovery (misses are asked again: a kind may appear) */
  private readonly resources = new Map<string, string>();

  constructor(kubeConfig: KubeConfig, informers: WorkloadInformers) {
    this.kubeConfig = kubeConfig;
    this.informers = informers;
  }

  get caches() {
    return [this.informers.replicationControllers, this.informers.replicaSets, this.informers.deployments];
  }

  async find(ref: ControllerRefLike, namespace: string): Promise<ControllerScale | undefined> {
    const finders: Finder[] = [this.replicationController, this.deployment, this.replicaSet, this.byScale];
    for (const f of finders) {
      const found = await f.call(this, ref, namespace);
      if (found) return found;
    }
    return undefined;
  }

  private async replicationController(ref: ControllerRefLike, namespace: string): Promise<ControllerScale | undefined> {
    if (!isKind(ref, 'ReplicationController', [''])) return undefined;
    const rc = this.informers.replicationControllers.get(ref.name, namespace);
    if (!rc || rc.metadata?.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: rc.spec?.replicas ?? 1 };
  }

  /** A ReplicaSet that a Deployment controls counts with the Deployment's replicas. */
  private async deployment(ref: ControllerRefLike, namespace: string): Promise<ControllerScale | undefined> {
    if (!isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = this.informers.replicaSets.get(ref.name, namespace);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    const owner = controllerOf(rs.metadata);
    if (!owner || !isKind(owner, 'Deployment', ['apps', 'extensions'])) return undefined;
    const d = this.informers.deployments.get(owner.name, namespace);
    if (!d || d.metadata?.uid !== owner.uid) return undefined;
    return { uid: owner.uid, scale: d.spec?.replicas ?? 1 };
  }

  private async replicaSet(ref: ControllerRefLike, namespace: string): Promise<ControllerScale | undefined> {
    if (!isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = this.informers.replicaSets.get(ref.name, namespace);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    if (controllerOf(rs.metadata)?.kind === 'Deployment') return undefined;
    return { uid: ref.uid, scale: rs.spec?.replicas ?? 1 };
  }

  /** getScaleController: GET …/NAME/scale of whatever kind the reference names. */
  private async byScale(ref: ControllerRefLike, namespace: string): Promise<ControllerScale | undefined> {
    const resource = await this.resourceOf(ref.apiVersion, ref.kind);
    if (!resource) throw new Error(`no resource serves kind ${ref.kind} in ${ref.apiVersion}`);
    const root = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const path = `${root}/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(ref.name)}/scale`;
    try {
      const scale = await callJson<{ metadata?: { uid?: string }; spec?: { replicas?: number } }>(this.kubeConfig, 'GET', path);
      if (scale.metadata?.uid !== ref.uid) return undefined;
      return { uid: ref.uid, scale: scale.spec?.replicas ?? 0 };
    } catch (e) {
      if (!(e instanceof HttpStatusError) || e.status !== 404) throw e;
      if (!(await this.servesScale(ref.apiVersion, resource)))
        throw new Error(`${resource}${groupOf(ref.apiVersion) ? `.${groupOf(ref.apiVersion)}` : ''} does not implement the scale subresource`);
      return undefined;
    }
  }

  private async resourceList(apiVersion: string): Promise<{ name: string; kind: string }[]> {
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return (await callJson<{ resources?: { name: string; kind: string }[] }>(this.kubeConfig, 'GET', root)).resources ?? [];
  }

  private async resourceOf(apiVersion: string, kind: string): Promise<string | undefined> {
    const key = `${apiVersion}/${kind}`;
    if (!this.resources.has(key)) {
      const found = (await this.resourceList(apiVersion)).find((r) => r.kind === kind && !r.name.includes('/'));
      if (found) this.resources.set(key, found.name);
    }
    return this.resources.get(key);
  }

  private async servesScale(apiVersion: string, resource: string): Promise<boolean> {
    return (await this.resourceList(apiVersion)).some((r) => r.name === `${resource}/scale` && r.kind === 'Scale');
  }
}
