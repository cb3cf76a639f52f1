// VolumeBinding (pkg/scheduler/framework/plugins/volumebinding): a pod's claims must exist; an
// unbound claim of an Immediate class is the binder's to bind first; a bound volume's node
// affinity limits the nodes (a local volume pins its pod to its node); a WaitForFirstConsumer
// claim needs a node where a volume can be provisioned or an available one can bind.
// Writing the chosen node on the claim (volume.kubernetes.io/selected-node) is done by the
// controller-manager's binder once the pod is bound (upstream does it in PreBind).
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { CycleState, FilterPlugin, PreFilterPlugin } from '../framework/interface.ts';
import { skip, unresolvable } from '../framework/status.ts';
import { compileNodeSelector, type NodePredicate, type NodeSelectorTerm } from '../labels.ts';
import type { VolumeLookup } from '../volumes.ts';

export const errUnboundImmediate = 'pod has unbound immediate PersistentVolumeClaims';
export const errNodeConflict = 'node(s) had volume node affinity conflict';
export const errNoVolumeToBind = "node(s) didn't find available persistent volumes to bind";

const stateKey = 'VolumeBinding/state';

interface PodVolumes {
  /** node affinity of each bound volume */
  bound: NodePredicate[];
  /** WaitForFirstConsumer claims without a provisioner: an available volume must fit on the node */
  toBindStatically: V1PersistentVolumeClaim[];
}

function volumeAffinity(v: V1PersistentVolume): NodePredicate | undefined {
  const terms = v.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return terms ? compileNodeSelector(terms as NodeSelectorTerm[]) : undefined;
}

function canBindOnNode(c: V1PersistentVolumeClaim, volumes: Iterable<V1PersistentVolume>, labels: Record<string, string> | undefined, node: string): boolean {
  for (const v of volumes) {
    if (v.spec?.claimRef || v.status?.phase !== 'Available') continue;
    if ((v.spec?.storageClassName ?? '') !== (c.spec?.storageClassName ?? '')) continue;
    const modes = new Set(v.spec?.accessModes ?? []);
    if (!(c.spec?.accessModes ?? []).every((m) => modes.has(m))) continue;
    const fits = volumeAffinity(v);
    if (!fits || fits(labels, node)) return true;
  }
  return false;
}

export function volumeBinding(lookup: VolumeLookup | undefined): PreFilterPlugin & FilterPlugin {
  return {
    name: 'VolumeBinding',
    preFilter(state: CycleState, pod) {
      const claims = (pod.pod.spec?.volumes ?? []).flatMap((v) => {
        if (v.persistentVolumeClaim?.claimName) return [{ name: v.persistentVolumeClaim.claimName, ephemeral: false }];
        if (v.ephemeral) return [{ name: `${pod.pod.metadata?.name}-${v.name}`, ephemeral: true }];
        return [];
      });
      if (claims.length === 0 || !lookup) return skip();
      const out: PodVolumes = { bound: [], toBindStatically: [] };
      for (const { name, ephemeral } of claims) {
        const c = lookup.claim(pod.namespace, name);
        if (!c && ephemeral) return unresolvable(`waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"`);
        if (!c) return unresolvable(`persistentvolumeclaim "${name}" not found`);
        if (c.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        const volumeName = c.spec?.volumeName;
        if (volumeName) {
          const v = lookup.volume(volumeName);
          if (!v) return unresolvable('pvc(s) bound to non-existent pv(s)');
          const fits = volumeAffinity(v);
          if (fits) out.bound.push(fits);
          continue;
        }
        const cls = lookup.storageClass(c.spec?.storageClassName ?? '');
        if (cls?.volumeBindingMode !== 'WaitForFirstConsumer') return unresolvable(errUnboundImmediate);
        if (!cls.provisioner || cls.provisioner === 'kubernetes.io/no-provisioner') out.toBindStatically.push(c);
      }
      state.write(stateKey, out);
      return null;
    },
    filter(state, _pod, node) {
      const s = state.read<PodVolumes>(stateKey);
      if (!s) return null;
      for (const fits of s.bound) if (!fits(node.labels, node.name)) return unresolvable(errNodeConflict);
      for (const c of s.toBindStatically) {
        if (!canBindOnNode(c, lookup!.volumes(), node.labels as Record<string, string> | undefined, node.name)) return unresolvable(errNoVolumeToBind);
      }
      return null;
    },
  };
}
