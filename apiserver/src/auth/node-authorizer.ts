// The Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet, user system:node:NAME in
// group system:nodes, may read a Secret, ConfigMap or PersistentVolumeClaim, or ask a token for
// a ServiceAccount, only when a pod bound to its node uses it; it may touch only its own Lease.
// Everything else it may do is the fixed node rule set (bootstrap policy's NodeRules); which
// Node, pods and Lease a node may write is NodeRestriction's to judge, on the objects
// (admission/plugins/node-restriction.ts), as in Kubernetes.
import type { Logger } from '@skiff/common';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import { allowed, noOpinion, type Attributes, type Authorizer, type Decision } from './attributes.ts';
import { NodeGraph, type VertexType } from './node-graph.ts';
import { nodeRules } from './rbac/bootstrap-policy.ts';
import { ruleAllows } from './rbac/rules.ts';
import { WatchedObjects } from '../registry/watched-objects.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

const readVerbs = new Set(['get', 'list', 'watch']);
const graphTypes: Record<string, VertexType> = { secrets: 'secret', configmaps: 'configmap', persistentvolumeclaims: 'pvc' };

/** NodeIdentity: the node name of a kubelet's user, undefined for anyone else. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

export class NodeAuthorizer implements Authorizer {
  private readonly graph = new NodeGraph();
  private readonly pods: WatchedObjects;

  constructor(registry: ApiRegistry, log?: Logger) {
    const store = registry.store('', 'v1', 'pods');
    if (!store) throw new Error('node authorizer: pods are not served');
    this.pods = new WatchedObjects(
      store,
      (type, obj, old) => {
        if (old && type !== 'ADDED') this.graph.podChanged(old, true);
        this.graph.podChanged(obj, type === 'DELETED');
      },
      log,
    );
  }

  start(): Promise<void> {
    return this.pods.start();
  }

  stop(): void {
    this.pods.stop();
  }

  private noRelationship(node: string): Decision {
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private viaGraph(node: string, type: VertexType, a: Attributes): Decision {
    if (!a.name) return noOpinion('No Object name found');
    return this.graph.hasPath(node, type, a.namespace ?? '', a.name) ? allowed() : this.noRelationship(node);
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    const node = nodeIdentity(user);
    if (node === undefined) return noOpinion();
    if (!node) return noOpinion('unknown node');
    if (a.isResourceRequest && a.group === '') {
      const type = graphTypes[a.resource];
      if (type && !(a.resource === 'persistentvolumeclaims' && a.subresource === 'status')) {
        if (!readVerbs.has(a.verb)) return noOpinion('can only read resources of this type');
        if (a.subresource) return noOpinion('cannot read subresource');
        if (!a.namespace) return noOpinion('can only read namespaced object of this type');
        return this.viaGraph(node, type, a);
      }
      if (a.resource === 'serviceaccounts') {
        if (a.verb !== 'create' || a.subresource !== 'token') return noOpinion('can only create tokens for individual service accounts');
        return this.viaGraph(node, 'serviceaccount', a);
      }
    }
    if (a.isResourceRequest && a.group === 'coordination.k8s.io' && a.resource === 'leases') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
      if (a.namespace !== 'kube-node-lease') return noOpinion("can only access leases in the 'kube-node-lease' system namespace");
      if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
      return allowed();
    }
    return nodeRules.some((r) => ruleAllows(a, r)) ? allowed() : noOpinion();
  }
}
