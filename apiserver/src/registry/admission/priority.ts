// The Priority admission plugin: a pod's spec.priority comes from the PriorityClass it names
// in spec.priorityClassName, or from the class marked globalDefault, or is 0. A pod may not
// state a priority (or preemption policy) that disagrees with its class.
// Call from pods' prepareForCreate: `await resolvePodPriority(obj, ctx)`.
import { type ApiError, errors } from '../../errors.ts';
import type { Storage } from '../../storage/interface.ts';
import type { KObject, RequestContext } from '../types.ts';

const classesPrefix = '/registry/priorityclasses/';

function forbidden(pod: KObject, why: string): ApiError {
  return errors.forbidden('', 'pods', pod.metadata.name ?? pod.metadata.generateName ?? '', why);
}

/** The globalDefault class; with several (a race between creates), the lowest value wins, as in Kubernetes. */
async function defaultClass(storage: Storage): Promise<KObject | undefined> {
  const { items } = await storage.list(classesPrefix, { resourceVersion: '0', predicate: (o) => o.globalDefault === true });
  let best: KObject | undefined;
  for (const c of items) if (!best || c.value < best.value) best = c;
  return best;
}

export async function resolvePodPriority(pod: KObject, ctx: RequestContext): Promise<void> {
  const storage = ctx.services?.storage as Storage | undefined;
  if (!storage) throw errors.internal('priority admission needs the storage service');
  const spec = (pod.spec ??= {});
  let cls: KObject | undefined;
  if (spec.priorityClassName) {
    cls = await storage.get(classesPrefix + spec.priorityClassName);
    if (!cls) throw forbidden(pod, `no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    cls = await defaultClass(storage);
  }
  const value: number = cls?.value ?? 0;
  const policy: string = cls?.preemptionPolicy ?? 'PreemptLowerPriority';
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw forbidden(
      pod,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  if (spec.preemptionPolicy && cls && spec.preemptionPolicy !== policy) {
    throw forbidden(
      pod,
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  if (cls) {
    spec.priorityClassName = cls.metadata.name;
    spec.preemptionPolicy = policy;
  }
}

/**
 * PriorityClass admission: only one class may be the global default. Call from
 * priorityclasses' prepareForCreate (and prepareForUpdate when globalDefault turns true).
 */
export async function checkSingleGlobalDefault(pc: KObject, ctx: RequestContext): Promise<void> {
  if (pc.globalDefault !== true) return;
  const storage = ctx.services?.storage as Storage | undefined;
  if (!storage) throw errors.internal('priority admission needs the storage service');
  const existing = await defaultClass(storage);
  if (existing && existing.metadata.name !== pc.metadata.name) {
    throw errors.forbidden(
      'scheduling.k8s.io',
      'priorityclasses',
      pc.metadata.name ?? '',
      `PriorityClass ${existing.metadata.name} is already marked as default. Only one default can exist`,
    );
  }
}
