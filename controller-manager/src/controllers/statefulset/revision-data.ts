// What a StatefulSet's ControllerRevision holds (upstream getPatch / ApplyRevision): the pod
// template as a strategic-merge patch that replaces the whole template, which is also what
// `kubectl rollout undo` applies to go back to it.
import type { V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';

export interface StatefulSetRevisionData {
  spec: { template: Record<string, unknown> };
}

export function revisionData(set: V1StatefulSet): StatefulSetRevisionData {
  return { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision holds, or undefined when its data is not one of ours. */
export function templateOf(data: unknown): V1PodTemplateSpec | undefined {
  const template = (data as Partial<StatefulSetRevisionData> | undefined)?.spec?.template;
  if (!template || typeof template !== 'object') return undefined;
  const { $patch: _patch, ...rest } = structuredClone(template);
  return rest as V1PodTemplateSpec;
}
