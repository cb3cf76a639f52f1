// Bootstrap policy reconciliation at apiserver start, as `kubectl auth reconcile` and the
// apiserver's rbac post-start hook do it: missing roles and bindings are created; existing ones
// marked rbac.authorization.kubernetes.io/autoupdate=true gain missing rules, labels,
// annotations, aggregation selectors and subjects (nothing is removed); a binding whose roleRef
// changed is recreated.
import type { Logger } from '@skiff/common';
import { ApiError } from '../../errors.ts';
import type { ApiRegistry } from '../../registry/api-registry.ts';
import type { UserInfo } from '../../registry/store.ts';
import type { KObject } from '../../registry/types.ts';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from './bootstrap-policy.ts';
import { RBAC_GROUP, rulesCover, type PolicyRule } from './rules.ts';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const apiserverUser: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };
const write = { user: apiserverUser, fieldManager: 'kube-apiserver' };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function mergedMeta(existing: KObject, expected: KObject): KObject['metadata'] {
  return {
    ...existing.metadata,
    labels: { ...expected.metadata.labels, ...existing.metadata.labels },
    annotations: { ...expected.metadata.annotations, ...existing.metadata.annotations },
  };
}

function reconciledRole(existing: KObject, expected: KObject): KObject {
  const out: KObject = { ...existing, metadata: mergedMeta(existing, expected) };
  if (expected.aggregationRule) {
    // rules of an aggregated role belong to the aggregation controller
    const have: unknown[] = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const missing = (expected.aggregationRule.clusterRoleSelectors as unknown[]).filter((s) => !have.some((h) => sameJson(h, s)));
    out.aggregationRule = { clusterRoleSelectors: [...have, ...missing] };
    return out;
  }
  const rules: PolicyRule[] = existing.rules ?? [];
  const missing = (expected.rules as PolicyRule[]).filter((r) => rulesCover(rules, [r]).length > 0);
  out.rules = [...rules, ...missing];
  return out;
}

function reconciledBinding(existing: KObject, expected: KObject): KObject {
  const have: any[] = existing.subjects ?? [];
  const missing = (expected.subjects as any[]).filter(
    (s) => !have.some((h) => h.kind === s.kind && h.name === s.name && (h.namespace ?? '') === (s.namespace ?? '')),
  );
  return { ...existing, metadata: mergedMeta(existing, expected), subjects: [...have, ...missing] };
}

async function reconcileOne(registry: ApiRegistry, resource: string, expected: KObject, log: Logger | undefined): Promise<void> {
  const store = registry.store(RBAC_GROUP, 'v1', resource)!;
  const ns = expected.metadata.namespace;
  const name = expected.metadata.name!;
  let existing: KObject | undefined;
  try {
    existing = await store.get(ns, name);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  if (!existing) {
    await store.create(ns, structuredClone(expected), write);
    return;
  }
  if (existing.metadata.annotations?.[AUTOUPDATE] === 'false') return;
  const isBinding = resource.endsWith('bindings');
  if (isBinding && !sameJson(existing.roleRef, expected.roleRef)) {
    log?.info('recreating binding whose roleRef changed', { resource, name });
    await store.delete(ns, name, {}, write);
    await store.create(ns, structuredClone(expected), write);
    return;
  }
  const wanted = isBinding ? reconciledBinding(existing, expected) : reconciledRole(existing, expected);
  if (sameJson(wanted, existing)) return;
  await store.update(ns, name, wanted, write);
}

export async function reconcileBootstrapPolicy(registry: ApiRegistry, log?: Logger): Promise<void> {
  const plan: [string, KObject[]][] = [
    ['clusterroles', bootstrapClusterRoles],
    ['clusterrolebindings', bootstrapClusterRoleBindings],
    ['roles', bootstrapRoles],
    ['rolebindings', bootstrapRoleBindings],
  ];
  for (const [resource, objects] of plan) {
    for (const o of objects) {
      // several apiservers may start at once: a lost race is retried against the winner's object
      for (let attempt = 0; ; attempt++) {
        try {
          await reconcileOne(registry, resource, o, log);
          break;
        } catch (e) {
          if (attempt < 3 && e instanceof ApiError && (e.code === 409 || e.code === 404)) continue;
          throw e;
        }
      }
    }
  }
}
