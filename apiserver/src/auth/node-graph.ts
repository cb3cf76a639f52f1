// Which objects each node may read (plugin/pkg/auth/authorizer/node's graph, reduced to what
// the Node authorizer asks): every pod bound to a node links that node to the Secrets,
// ConfigMaps, PersistentVolumeClaims and ServiceAccount the pod names. Kept from a watch of pods.
import type { KObject } from '../registry/types.ts';

export type VertexType = 'secret' | 'configmap' | 'pvc' | 'serviceaccount' | 'pod';

const vertexKey = (type: VertexType, namespace: string, name: string) => `${type}/${namespace}/${name}`;

/** The objects one pod uses, as vertex keys (its own vertex included). */
function podReferences(pod: KObject): string[] {
  const ns = pod.metadata.namespace ?? '';
  const spec = pod.spec ?? {};
  const out = new Set<string>([vertexKey('pod', ns, pod.metadata.name ?? '')]);
  const add = (type: VertexType, name: unknown) => {
    if (typeof name === 'string' && name) out.add(vertexKey(type, ns, name));
  };
  add('serviceaccount', spec.serviceAccountName || 'default');
  for (const s of spec.imagePullSecrets ?? []) add('secret', s?.name);
  for (const v of spec.volumes ?? []) {
    add('secret', v?.secret?.secretName);
    add('configmap', v?.configMap?.name);
    add('pvc', v?.persistentVolumeClaim?.claimName);
    for (const src of v?.projected?.sources ?? []) {
      add('secret', src?.secret?.name);
      add('configmap', src?.configMap?.name);
    }
    for (const ref of [v?.cephfs?.secretRef, v?.flexVolume?.secretRef, v?.iscsi?.secretRef, v?.rbd?.secretRef, v?.csi?.nodePublishSecretRef]) {
      add('secret', ref?.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add('secret', e?.valueFrom?.secretKeyRef?.name);
      add('configmap', e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c?.envFrom ?? []) {
      add('secret', e?.secretRef?.name);
      add('configmap', e?.configMapRef?.name);
    }
  }
  return [...out];
}

export class NodeGraph {
  /** vertex key → node name → how many of that node's pods use it */
  private readonly uses = new Map<string, Map<string, number>>();
  /** pod key → what it contributed, so an update or delete takes exactly that back */
  private readonly contributed = new Map<string, { node: string; refs: string[] }>();

  podChanged(pod: KObject, deleted: boolean): void {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const prev = this.contributed.get(key);
    if (prev) {
      for (const ref of prev.refs) {
        const nodes = this.uses.get(ref);
        const n = (nodes?.get(prev.node) ?? 0) - 1;
        if (!nodes) continue;
        if (n > 0) nodes.set(prev.node, n);
        else nodes.delete(prev.node);
        if (!nodes.size) this.uses.delete(ref);
      }
      this.contributed.delete(key);
    }
    const node = pod.spec?.nodeName;
    if (deleted || typeof node !== 'string' || !node) return;
    const refs = podReferences(pod);
    for (const ref of refs) {
      let nodes = this.uses.get(ref);
      if (!nodes) this.uses.set(ref, (nodes = new Map()));
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
    this.contributed.set(key, { node, refs });
  }

  /** Whether a pod bound to `node` uses the object. */
  hasPath(node: string, type: VertexType, namespace: string, name: string): boolean {
    return (this.uses.get(vertexKey(type, namespace, name))?.get(node) ?? 0) > 0;
  }
}
