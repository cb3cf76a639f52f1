// NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in equal
// shares after placing the pod (1 - standard deviation of the shares, times 100).
import type { PreScorePlugin, ScorePlugin } from '../framework/interface.ts';
import { maxNodeScore } from '../framework/interface.ts';
import { skip } from '../framework/status.ts';

export function balancedAllocation(): PreScorePlugin & ScorePlugin {
  return {
    name: 'NodeResourcesBalancedAllocation',
    preScore(_state, pod) {
      // a pod requesting nothing changes no balance
      return pod.requests.milliCPU === 0 && pod.requests.memory === 0 ? skip() : null;
    },
    score(_state, pod, node) {
      const fractions: number[] = [];
      const pairs: [number, number][] = [
        [node.requested.milliCPU + pod.requests.milliCPU, node.allocatable.milliCPU],
        [node.requested.memory + pod.requests.memory, node.allocatable.memory],
      ];
      for (const [req, cap] of pairs) if (cap > 0) fractions.push(Math.min(1, req / cap));
      if (fractions.length === 0) return 0;
      let std = 0;
      if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
      else if (fractions.length > 2) {
        const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
        std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
      }
      return Math.floor((1 - std) * maxNodeScore);
    },
  };
}
