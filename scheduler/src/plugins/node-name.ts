// NodeName: a pod that names its node fits only there.
import type { FilterPlugin } from '../framework/interface.ts';
import { unresolvable } from '../framework/status.ts';

export const errReasonNodeName = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin {
  return {
    name: 'NodeName',
    filter(_state, pod, node) {
      const wanted = pod.pod.spec?.nodeName;
      if (!wanted || wanted === node.name) return null;
      return unresolvable(errReasonNodeName);
    },
  };
}
