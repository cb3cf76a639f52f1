// PodSecurity: the Pod Security Standards, chosen per namespace by the
// pod-security.kubernetes.io/{enforce,audit,warn}[-version] labels, as pod-security-admission
// applies them. enforce refuses a pod (403); warn returns `Warning` headers; audit records
// audit annotations. Workload resources get warnings and audit annotations for their pod
// templates, never refusals. Changing a namespace's enforce level warns about existing pods
// that would violate it. The checks live in pod-security/.
import { errors, field } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionServices } from '../interface.ts';
import { type LevelVersion, type NamespacePolicy, evaluatePod, forbiddenDetail, levelVersionText, policyFromLabels } from './pod-security/policy.ts';

/** namespaceMaxPodsToCheck */
const maxPodsToCheck = 3000;

/** Where each workload kind keeps its pod template. */
const podTemplatePaths: Record<string, string[]> = {
  '/podtemplates': ['template'],
  '/replicationcontrollers': ['spec', 'template'],
  'apps/replicasets': ['spec', 'template'],
  'apps/deployments': ['spec', 'template'],
  'apps/statefulsets': ['spec', 'template'],
  'apps/daemonsets': ['spec', 'template'],
  'batch/jobs': ['spec', 'template'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template'],
};

function dig(obj: any, path: string[]): any {
  return path.reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

async function namespacePolicy(namespace: string, services: AdmissionServices): Promise<NamespacePolicy | undefined> {
  const store = services.registry.store('', 'v1', 'namespaces');
  if (!store || !namespace) return undefined;
  // the watch cache first (every pod create asks), a live read when it misses
  const cached = await store.list(undefined, { resourceVersion: '0', fieldSelector: `metadata.name=${namespace}` });
  let ns = cached.items[0];
  if (!ns) {
    try {
      ns = await store.get(undefined, namespace);
    } catch {
      return undefined; // NamespaceLifecycle answers for missing namespaces
    }
  }
  // a namespace with bad labels was refused when labelled; read what is valid of it
  return policyFromLabels(ns.metadata.labels).policy;
}

const sameLevel = (a: LevelVersion, b: LevelVersion) => a.level === b.level && a.version === b.version;

/** Only new (ephemeral) containers make a pod update worth judging: the rest of a pod spec is immutable. */
function isSignificantPodUpdate(pod: KObject, old: KObject): boolean {
  const names = (p: KObject, f: string) => (p.spec?.[f] ?? []).map((c: any) => `${c?.name}`).join('\0');
  return ['containers', 'initContainers', 'ephemeralContainers'].some((f) => names(pod, f) !== names(old, f));
}

function judgePod(a: AdmissionAttributes, policy: NamespacePolicy, meta: any, spec: any, enforce: boolean): void {
  const cache = new Map<string, ReturnType<typeof evaluatePod>>();
  const evaluate = (lv: LevelVersion) => {
    const key = levelVersionText(lv);
    let r = cache.get(key);
    if (!r) {
      r = evaluatePod(lv.level, meta, spec);
      cache.set(key, r);
    }
    return r;
  };
  if (enforce) {
    a.auditAnnotations['pod-security.kubernetes.io/enforce-policy'] = levelVersionText(policy.enforce);
    const failed = evaluate(policy.enforce);
    if (failed.length) {
      throw errors.forbidden(a.group, a.resource, a.name, `violates PodSecurity "${levelVersionText(policy.enforce)}": ${forbiddenDetail(failed)}`);
    }
  }
  const audit = evaluate(policy.audit);
  if (audit.length) {
    a.auditAnnotations['pod-security.kubernetes.io/audit-violations'] =
      `would violate PodSecurity "${levelVersionText(policy.audit)}": ${forbiddenDetail(audit)}`;
  }
  const warn = evaluate(policy.warn);
  // a pod that enforce allowed at the same level and version has nothing to warn about
  if (warn.length && !(enforce && sameLevel(policy.warn, policy.enforce))) {
    a.warnings.push(`would violate PodSecurity "${levelVersionText(policy.warn)}": ${forbiddenDetail(warn)}`);
  }
}

/** EvaluatePodsInNamespace: which existing pods the new enforce level would refuse. */
async function existingPodWarnings(namespace: string, enforce: LevelVersion, services: AdmissionServices): Promise<string[]> {
  const store = services.registry.store('', 'v1', 'pods');
  if (!store) return [];
  const pods = (await store.list(namespace, { resourceVersion: '0' })).items;
  const checked = pods.slice(0, maxPodsToCheck);
  const byReason = new Map<string, { podName: string; count: number }>();
  for (const pod of checked) {
    const failed = evaluatePod(enforce.level, pod.metadata, pod.spec);
    if (!failed.length) continue;
    const reason = failed.map((f) => f.reason).join(', ');
    const seen = byReason.get(reason);
    const name = pod.metadata.name ?? '';
    if (!seen) byReason.set(reason, { podName: name, count: 1 });
    else {
      seen.count++;
      if (name < seen.podName) seen.podName = name;
    }
  }
  const warnings: string[] = [];
  if (checked.length < pods.length) {
    warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${pods.length} existing pods`);
  }
  if (byReason.size) warnings.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${levelVersionText(enforce)}"`);
  const perPod = [...byReason].map(([reason, { podName, count }]) => {
    if (count === 1) return `${podName}: ${reason}`;
    if (count === 2) return `${podName} (and 1 other pod): ${reason}`;
    return `${podName} (and ${count - 1} other pods): ${reason}`;
  });
  return [...warnings, ...perPod.sort()];
}

async function validateNamespace(a: AdmissionAttributes, services: AdmissionServices): Promise<void> {
  const ns = a.object!;
  const { policy, errors: labelErrors } = policyFromLabels(ns.metadata.labels);
  if (labelErrors.length) {
    throw errors.invalid(
      '',
      'Namespace',
      a.name,
      labelErrors.map((e) => field.invalid(`metadata.labels[${e.label}]`, e.value, e.message)),
    );
  }
  if (a.operation !== 'UPDATE' || !a.oldObject) return;
  const old = policyFromLabels(a.oldObject.metadata.labels).policy;
  if (sameLevel(policy.enforce, old.enforce) || policy.enforce.level === 'privileged') return;
  a.warnings.push(...(await existingPodWarnings(a.name, policy.enforce, services)));
}

export const podSecurity: AdmissionPlugin = {
  name: 'PodSecurity',
  operations: ['CREATE', 'UPDATE'],

  async validate(a, services) {
    if (!a.object) return;
    const gr = `${a.group}/${a.resource}`;
    if (gr === '/namespaces') {
      if (a.subresource === '') await validateNamespace(a, services);
      return;
    }
    if (gr === '/pods') {
      if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return;
      if (a.operation === 'UPDATE' && a.oldObject && !isSignificantPodUpdate(a.object, a.oldObject)) return;
      const policy = await namespacePolicy(a.namespace, services);
      if (policy) judgePod(a, policy, a.object.metadata, a.object.spec, true);
      return;
    }
    const templatePath = podTemplatePaths[gr];
    if (!templatePath || a.subresource !== '') return;
    const policy = await namespacePolicy(a.namespace, services);
    if (!policy || (policy.audit.level === 'privileged' && policy.warn.level === 'privileged')) return;
    const template = dig(a.object, templatePath);
    if (!template) return;
    // an update that leaves the template alone (replicas, annotations) has nothing new to judge
    if (a.operation === 'UPDATE' && a.oldObject && JSON.stringify(dig(a.oldObject, templatePath)) === JSON.stringify(template)) return;
    judgePod(a, policy, template.metadata, template.spec, false);
  },
};
