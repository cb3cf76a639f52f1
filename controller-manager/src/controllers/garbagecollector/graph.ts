// The ownerReference graph: one node per object uid, with its owners' references and the
// uids of its dependents. Owners referenced but not (yet) observed are "virtual" nodes,
// which the collector verifies against the API before trusting their absence.

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  identity: ObjectIdentity;
  owners: OwnerRef[];
  dependents: Set<string>;
  /** Known only from other objects' ownerReferences. */
  virtual: boolean;
  deletionTimestamp?: string;
  finalizers: string[];
}

export interface ObservedObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerRef[]; deletionTimestamp?: any; finalizers?: string[] };
}

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export class OwnerGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }
  size(): number {
    return this.nodes.size;
  }
  uids(): string[] {
    return [...this.nodes.keys()];
  }

  /** Records an add or update; returns whether its ownerReferences changed. */
  observe(obj: ObservedObject): { ownersChanged: boolean } {
    const m = obj.metadata;
    const uid = m.uid!;
    const owners = (m.ownerReferences ?? []).map((r) => ({ ...r }));
    const identity: ObjectIdentity = { apiVersion: obj.apiVersion, kind: obj.kind, name: m.name!, uid, ...(m.namespace ? { namespace: m.namespace } : {}) };
    let node = this.nodes.get(uid);
    const before = node && !node.virtual ? node.owners : [];
    if (!node) {
      node = { identity, owners: [], dependents: new Set(), virtual: false, finalizers: [] };
      this.nodes.set(uid, node);
    }
    node.identity = identity;
    node.virtual = false;
    node.finalizers = [...(m.finalizers ?? [])];
    node.deletionTimestamp = m.deletionTimestamp ? String(m.deletionTimestamp) : undefined;
    for (const r of before) if (!owners.some((o) => o.uid === r.uid)) this.unlink(r.uid, uid);
    for (const r of owners) this.link(r, uid, identity.namespace);
    node.owners = owners;
    return { ownersChanged: JSON.stringify(before) !== JSON.stringify(owners) };
  }

  /** Forgets an object; returns the node as it was, dependents included. */
  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    const before: GraphNode = { ...node, owners: [...node.owners], dependents: new Set(node.dependents) };
    for (const r of node.owners) this.unlink(r.uid, uid);
    if (node.dependents.size > 0) {
      // dependents still point at it: keep a virtual node so they can be found
      node.virtual = true;
      node.owners = [];
      node.deletionTimestamp = undefined;
      node.finalizers = [];
    } else {
      this.nodes.delete(uid);
    }
    return before;
  }

  /** Drops a virtual node found not to exist. */
  forgetVirtual(uid: string): void {
    const node = this.nodes.get(uid);
    if (node?.virtual) this.nodes.delete(uid);
  }

  dependents(uid: string): GraphNode[] {
    return [...(this.nodes.get(uid)?.dependents ?? [])].map((d) => this.nodes.get(d)).filter((n): n is GraphNode => !!n && !n.virtual);
  }

  /** Dependents whose reference to the owner has blockOwnerDeletion set. */
  blockingDependents(ownerUid: string): GraphNode[] {
    return this.dependents(ownerUid).filter((d) => d.owners.some((o) => o.uid === ownerUid && o.blockOwnerDeletion === true));
  }

  private link(ref: OwnerRef, dependentUid: string, dependentNamespace: string | undefined): void {
    let owner = this.nodes.get(ref.uid);
    if (!owner) {
      // namespace is a guess (the dependent's): cluster-scoped owners are resolved by the collector
      owner = {
        identity: {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          name: ref.name,
          uid: ref.uid,
          ...(dependentNamespace ? { namespace: dependentNamespace } : {}),
        },
        owners: [],
        dependents: new Set(),
        virtual: true,
        finalizers: [],
      };
      this.nodes.set(ref.uid, owner);
    }
    owner.dependents.add(dependentUid);
  }

  private unlink(ownerUid: string, dependentUid: string): void {
    const owner = this.nodes.get(ownerUid);
    if (!owner) return;
    owner.dependents.delete(dependentUid);
    if (owner.virtual && owner.dependents.size === 0) this.nodes.delete(ownerUid);
  }
}

export const isDeleting = (n: GraphNode): boolean => !!n.deletionTimestamp;
export const hasFinalizer = (n: GraphNode, f: string): boolean => n.finalizers.includes(f);

export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

export type DependentAction =
  | { action: 'none' }
  | { action: 'removeOwnerRefs'; uids: string[] }
  | { action: 'delete'; propagationPolicy: 'Background' | 'Foreground' | 'Orphan' };

/**
 * What to do with an object given the state of each of its owners, as kube's collector
 * decides it: any solid owner keeps it (minus references to gone owners); owners waiting
 * in foreground deletion take it down in foreground if it has dependents of its own;
 * otherwise all owners are gone and it goes, with the policy its own finalizers ask for.
 */
export function decideForDependent(node: GraphNode, ownerStates: ReadonlyMap<string, OwnerState>, hasDependents: boolean): DependentAction {
  if (node.owners.length === 0) return { action: 'none' };
  const of = (s: OwnerState) => node.owners.filter((o) => ownerStates.get(o.uid) === s).map((o) => o.uid);
  const solid = of('solid');
  const dangling = of('dangling');
  const waiting = of('waitingForDependentsDeletion');
  if (solid.length > 0) {
    const stale = [...dangling, ...waiting];
    return stale.length > 0 ? { action: 'removeOwnerRefs', uids: stale } : { action: 'none' };
  }
  if (waiting.length > 0 && hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  if (hasFinalizer(node, ORPHAN_FINALIZER)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (hasFinalizer(node, FOREGROUND_FINALIZER)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}
