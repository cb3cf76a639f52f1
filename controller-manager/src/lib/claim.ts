// Upstream ControllerRefManager: an owner adopts matching orphans and releases objects it
// controls that no longer match its selector; objects controlled by others are left alone.
import type { V1LabelSelector, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { controllerOf } from '@skiff/common/apimachinery/owner-references';
import { labelSelectorMatches } from '@skiff/common/apimachinery/label-selector';
import { isNotFound } from './api-errors.ts';

export interface Owned {
  metadata?: V1ObjectMeta;
}

export interface ClaimOptions<T extends Owned> {
  owner: { metadata?: V1ObjectMeta };
  ownerRef: V1OwnerReference;
  selector: V1LabelSelector | undefined;
  /** Re-reads the owner from the apiserver: adoption must not act on a stale cache. */
  canAdopt(): Promise<void>;
  /** Writes `ownerReferences` (with the object's resourceVersion as precondition). */
  patchOwnerRefs(obj: T, ownerReferences: V1OwnerReference[]): Promise<T>;
}

export async function claimObjects<T extends Owned>(objects: readonly T[], o: ClaimOptions<T>): Promise<T[]> {
  const claimed: T[] = [];
  const ownerUid = o.owner.metadata?.uid;
  let adoptionChecked: Promise<void> | undefined;
  const errors: unknown[] = [];
  await Promise.all(
    objects.map(async (obj) => {
      const ref = controllerOf(obj.metadata);
      const matches = labelSelectorMatches(o.selector, obj.metadata?.labels);
      try {
        if (ref) {
          if (ref.uid !== ownerUid) return;
          if (matches) {
            claimed.push(obj);
            return;
          }
          if (o.owner.metadata?.deletionTimestamp) return;
          const rest = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
          await o.patchOwnerRefs(obj, rest);
          return;
        }
        if (!matches || o.owner.metadata?.deletionTimestamp || obj.metadata?.deletionTimestamp) return;
        adoptionChecked ??= o.canAdopt();
        await adoptionChecked;
        const adopted = await o.patchOwnerRefs(obj, [...(obj.metadata?.ownerReferences ?? []), o.ownerRef]);
        claimed.push(adopted);
      } catch (e) {
        // gone already: nothing to claim or release
        if (!isNotFound(e)) errors.push(e);
      }
    }),
  );
  if (errors.length) throw errors[0];
  return claimed;
}

/**
 * Upstream resolveControllerRef: the owner of `kind` that an object's controller reference
 * names, if the cache holds that very object (same uid, not a successor of the same name).
 */
export function resolveControllerRef<T extends Owned>(obj: Owned, kind: string, get: (name: string, namespace?: string) => T | undefined): T | undefined {
  const ref = controllerOf(obj.metadata);
  if (ref?.kind !== kind) return undefined;
  const owner = get(ref.name, obj.metadata?.namespace);
  return owner?.metadata?.uid === ref.uid ? owner : undefined;
}

/** The owners whose selector matches an orphan's labels: those that may adopt it (upstream getPodReplicaSets and the like). */
export function ownersSelecting<T extends Owned & { spec?: { selector?: V1LabelSelector } }>(obj: Owned, owners: readonly T[]): T[] {
  return owners.filter((o) => labelSelectorMatches(o.spec?.selector, obj.metadata?.labels));
}

/** The check canAdopt runs on a fresh read of the owner. */
export function assertSameLiveOwner(fresh: { metadata?: V1ObjectMeta }, cachedUid: string | undefined, what: string): void {
  if (fresh.metadata?.uid !== cachedUid) throw new Error(`original ${what} is gone: got uid ${fresh.metadata?.uid}, wanted ${cachedUid}`);
  if (fresh.metadata?.deletionTimestamp) throw new Error(`${what} has just been deleted at ${String(fresh.metadata.deletionTimestamp)}`);
}

/** The request of a merge patch that sets `ownerReferences`, guarded by the object's resourceVersion and uid. */
export function ownerRefsPatchRequest(obj: Owned, ownerReferences: V1OwnerReference[]) {
  return {
    name: obj.metadata!.name!,
    namespace: obj.metadata!.namespace!,
    body: { metadata: { ownerReferences, resourceVersion: obj.metadata?.resourceVersion, uid: obj.metadata?.uid } },
  };
}
