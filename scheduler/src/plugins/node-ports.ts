// NodePorts: a hostPort can be used once per node, protocol and address (0.0.0.0 takes all addresses).
import type { FilterPlugin } from '../framework/interface.ts';
import { unschedulable } from '../framework/status.ts';

export const errReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): FilterPlugin {
  return {
    name: 'NodePorts',
    filter(_state, pod, node) {
      for (const p of pod.hostPorts) if (node.portConflicts(p)) return unschedulable(errReasonNodePorts);
      return null;
    },
  };
}
