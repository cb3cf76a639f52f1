// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import type { FilterPlugin } from '../framework/interface.ts';
import { unresolvable } from '../framework/status.ts';
import { anyToleratesTaint } from './helpers.ts';

export const errReasonUnschedulable = 'node(s) were unschedulable';
const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): FilterPlugin {
  return {
    name: 'NodeUnschedulable',
    filter(_state, pod, node) {
      if (!node.unschedulable) return null;
      if (anyToleratesTaint(pod.pod.spec?.tolerations, unschedulableTaint)) return null;
      return unresolvable(errReasonUnschedulable);
    },
  };
}
