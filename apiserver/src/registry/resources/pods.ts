// core/v1 Pod: defaults, spec immutability, binding and graceful deletion. What admission adds
// (service account, priority, default tolerations) lives in apiserver/src/admission/plugins/.
import { isDeepStrictEqual } from 'node:util';
import { errors, field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { nameIsDnsSubdomain } from '@skiff/common/apimachinery/names';
import { validatePodSpec } from '../validation/pod-spec.ts';
import { tryParseQuantity } from '@skiff/common/apimachinery/quantity';
import { defaultPodSpec } from './shared/pod-defaults.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { evictPod } from './pod-eviction.ts';

/** PriorityClasses the server creates itself; a pod naming one gets its value without a lookup. */
export const builtinPriorities: Record<string, number> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

/** Guaranteed when every container has equal cpu and memory requests and limits; BestEffort without any. */
export function qosClassOf(spec: any): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers: any[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c?.resources?.requests ?? {};
    const lim = c?.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const rq = tryParseQuantity(req[r]);
      const lm = tryParseQuantity(lim[r]);
      if ((rq !== undefined && rq.sign > 0) || (lm !== undefined && lm.sign > 0)) anySet = true;
      if (lm === undefined || rq === undefined || !rq.equals(lm)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function tolerationsOnlyAdded(now: any[] | undefined, before: any[] | undefined): boolean {
  const n = now ?? [];
  return (before ?? []).every((b) =>
    n.some(
      (t) =>
        isDeepStrictEqual(t, b) ||
        // tolerationSeconds may only shrink
        (t.key === b.key &&
          t.operator === b.operator &&
          t.value === b.value &&
          t.effect === b.effect &&
          typeof b.tolerationSeconds === 'number' &&
          typeof t.tolerationSeconds === 'number' &&
          t.tolerationSeconds <= b.tolerationSeconds),
    ),
  );
}

const updatableFieldsMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validatePodSpecUpdate(spec: any, old: any): FieldError[] {
  const out: FieldError[] = [];
  // copy the mutable fields onto the old spec: anything else that differs was a forbidden change
  const merged = JSON.parse(JSON.stringify(old ?? {}));
  (spec?.containers ?? []).forEach((c: any, i: number) => {
    if (merged.containers?.[i]) merged.containers[i].image = c?.image;
  });
  (spec?.initContainers ?? []).forEach((c: any, i: number) => {
    if (merged.initContainers?.[i]) merged.initContainers[i].image = c?.image;
  });
  merged.activeDeadlineSeconds = spec?.activeDeadlineSeconds;
  if (merged.activeDeadlineSeconds === undefined) delete merged.activeDeadlineSeconds;
  if (tolerationsOnlyAdded(spec?.tolerations, old?.tolerations)) merged.tolerations = spec?.tolerations;
  if (spec?.schedulingGates === undefined || (spec.schedulingGates as any[]).length <= (old?.schedulingGates ?? []).length) {
    merged.schedulingGates = spec?.schedulingGates; // gates can only be removed
  }
  if ((old?.terminationGracePeriodSeconds ?? 0) < 0 && spec?.terminationGracePeriodSeconds === 1) merged.terminationGracePeriodSeconds = 1;
  // a pod is bound once, by the binding subresource, which records PodScheduled
  if (!old?.nodeName && spec?.nodeName) merged.nodeName = spec.nodeName;
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const cleaned = JSON.parse(JSON.stringify(spec ?? {}));
  for (const k of Object.keys(cleaned)) if (cleaned[k] === undefined) delete cleaned[k];
  if (!isDeepStrictEqual(cleaned, merged)) out.push(field.forbidden('spec', updatableFieldsMessage));
  const deadline = old?.activeDeadlineSeconds;
  if (deadline !== undefined && (spec?.activeDeadlineSeconds === undefined || spec.activeDeadlineSeconds > deadline)) {
    out.push(field.invalid('spec.activeDeadlineSeconds', spec?.activeDeadlineSeconds ?? null, 'must be less than or equal to previous value'));
  }
  return out;
}

function isScheduledCondition(status: any, nodeName: string): boolean {
  return (status?.conditions ?? []).some((c: any) => c.type === 'PodScheduled' && c.status === 'True') && !!nodeName;
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  resource: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'ephemeralcontainers'],
  subresourceCollections: { bindings: 'binding' },
  returnDeletedObject: true,
  evict: evictPod,

  defaults(obj) {
    obj.spec ??= {};
    defaultPodSpec(obj.spec);
    // v1's serviceAccount is an alias of serviceAccountName (the newer field wins), as the v1 conversion has it
    const spec = obj.spec;
    if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
    if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  },

  validate(obj) {
    return [...validateMetaFor(obj, true, nameIsDnsSubdomain), ...validatePodSpec(obj.spec, 'spec')];
  },

  validateUpdate(obj, old) {
    const out = validatePodSpecUpdate(obj.spec, old.spec);
    // binding sets nodeName together with PodScheduled; a plain update cannot
    if (!old.spec?.nodeName && obj.spec?.nodeName && !isScheduledCondition(obj.status, obj.spec.nodeName)) {
      out.push(field.forbidden('spec', updatableFieldsMessage));
    }
    return out;
  },

  prepareForCreate(obj) {
    const spec = obj.spec;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    obj.status = { phase: 'Pending', qosClass: qosClassOf(spec) };
  },

  prepareForUpdate(obj, old) {
    const binding = !old.spec?.nodeName && obj.spec?.nodeName && isScheduledCondition(obj.status, obj.spec.nodeName);
    const scheduled = binding ? obj.status.conditions.find((c: any) => c.type === 'PodScheduled') : undefined;
    keepOldStatus(obj, old);
    if (scheduled) {
      // the binding subresource's result: keep the PodScheduled condition it set
      const rest = (obj.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
      obj.status = { ...(obj.status ?? {}), conditions: [...rest, scheduled] };
    }
  },

  prepareForStatusUpdate(obj, old) {
    const next = takeStatusOnly(obj, old);
    next.status ??= {};
    next.status.qosClass ??= old.status?.qosClass; // computed at creation, never reported by the kubelet
    return next;
  },

  // pods keep generation 1 unless their spec changes through an allowed update
  specChanged(obj, old) {
    return !isDeepStrictEqual(obj.spec, old.spec);
  },

  // each kubelet watches the pods of its node: kube-apiserver's NodeNameTriggerFunc
  watchTriggerField: 'spec.nodeName',

  selectableFields(obj) {
    return {
      'spec.nodeName': obj.spec?.nodeName ?? '',
      'spec.restartPolicy': obj.spec?.restartPolicy ?? '',
      'spec.schedulerName': obj.spec?.schedulerName ?? '',
      'spec.serviceAccountName': obj.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(!!obj.spec?.hostNetwork),
      'status.phase': obj.status?.phase ?? '',
      'status.podIP': obj.status?.podIP ?? '',
      'status.nominatedNodeName': obj.status?.nominatedNodeName ?? '',
    };
  },

  bind: applyBinding,

  gracefulDeletion(obj, requested) {
    // a pod no kubelet runs, or one that finished, has nobody to wait for
    if (!obj.spec?.nodeName) return 0;
    const phase = obj.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    if (requested !== undefined) return Math.max(0, requested);
    return obj.spec?.terminationGracePeriodSeconds ?? 30;
  },
};

/**
 * POST pods/NAME/binding: assigns the pod to a node. The result is the whole pod to store; the
 * store must not run prepareForUpdate on it (that would put back the old status).
 */
export function applyBinding(pod: KObject, binding: KObject): KObject {
  const name = pod.metadata.name ?? '';
  const target = binding.target?.name;
  if (!target) throw errors.invalid('', 'Binding', name, [field.required('target.name')]);
  if (pod.spec?.nodeName) {
    throw errors.conflict('', 'pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  }
  const next = structuredClone(pod);
  next.spec = { ...(next.spec ?? {}), nodeName: target };
  // annotations on the Binding are copied onto the pod, as the Kubernetes binding REST does
  const extra = binding.metadata?.annotations;
  if (extra && Object.keys(extra).length) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...extra };
  const conditions: any[] = (next.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
  next.status = { ...(next.status ?? {}), conditions };
  return next;
}
