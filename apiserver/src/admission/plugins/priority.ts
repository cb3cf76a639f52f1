// Priority: a pod's spec.priority comes from the PriorityClass it names in
// spec.priorityClassName, or from the class marked globalDefault, or is 0; a pod may not state
// a priority (or preemption policy) that disagrees with its class. Updates keep what creation
// set. For PriorityClasses it validates that only one is the global default.
import { ApiError, errors } from '../../errors.ts';
import type { KObject } from '../../registry/types.ts';
import type { AdmissionPlugin, AdmissionServices } from '../interface.ts';

function priorityClasses(services: AdmissionServices) {
  const store = services.registry.store('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (!store) throw errors.internal('the Priority admission plugin needs the priorityclasses resource');
  return store;
}

async function classNamed(services: AdmissionServices, name: string): Promise<KObject | undefined> {
  try {
    return await priorityClasses(services).get(undefined, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** The globalDefault class; with several (a race between creates), the lowest value wins, as in Kubernetes. */
async function defaultClass(services: AdmissionServices): Promise<KObject | undefined> {
  const { items } = await priorityClasses(services).list(undefined, { resourceVersion: '0' });
  let best: KObject | undefined;
  for (const c of items) if (c.globalDefault === true && (!best || c.value < best.value)) best = c;
  return best;
}

async function resolvePodPriority(pod: KObject, services: AdmissionServices): Promise<void> {
  const forbidden = (why: string) => errors.forbidden('', 'pods', pod.metadata?.name ?? pod.metadata?.generateName ?? '', why);
  const spec = (pod.spec ??= {});
  let cls: KObject | undefined;
  if (spec.priorityClassName) {
    cls = await classNamed(services, spec.priorityClassName);
    if (!cls) throw forbidden(`no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    cls = await defaultClass(services);
  }
  const value: number = cls?.value ?? 0;
  const policy: string = cls?.preemptionPolicy ?? 'PreemptLowerPriority';
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
    throw forbidden(
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  if (spec.preemptionPolicy && cls && spec.preemptionPolicy !== policy) {
    throw forbidden(
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  if (cls) {
    spec.priorityClassName = cls.metadata.name;
    spec.preemptionPolicy = policy;
  }
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
}

export const priority: AdmissionPlugin = {
  name: 'Priority',
  operations: ['CREATE', 'UPDATE'],

  async admit(a, services) {
    if (a.group !== '' || a.resource !== 'pods' || a.subresource || !a.object) return;
    const pod = a.object;
    if (a.operation === 'CREATE') {
      await resolvePodPriority(pod, services);
      return;
    }
    // on update, what creation computed stays unless the client restates it
    const spec = (pod.spec ??= {});
    const old = a.oldObject?.spec ?? {};
    if (spec.priority === undefined && old.priority !== undefined) spec.priority = old.priority;
    if (spec.preemptionPolicy === undefined && old.preemptionPolicy !== undefined) spec.preemptionPolicy = old.preemptionPolicy;
  },

  async validate(a, services) {
    if (a.group !== 'scheduling.k8s.io' || a.resource !== 'priorityclasses' || a.subresource || !a.object) return;
    const pc = a.object;
    if (pc.globalDefault !== true) return;
    if (a.operation === 'UPDATE' && a.oldObject?.globalDefault === true) return;
    const existing = await defaultClass(services);
    if (existing && existing.metadata.name !== pc.metadata.name) {
      throw errors.forbidden(
        'scheduling.k8s.io',
        'priorityclasses',
        pc.metadata.name ?? '',
        `PriorityClass ${existing.metadata.name} is already marked as default. Only one default can exist`,
      );
    }
  },
};
