// How many feasible nodes to look for before scoring: all of them in small clusters, an
// adaptive share in large ones (Kubernetes' numFeasibleNodesToFind).
export const minFeasibleNodesToFind = 100;
export const minFeasibleNodesPercentageToFind = 5;

export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct >= 100) return numAllNodes;
  if (pct <= 0) {
    pct = 50 - Math.floor(numAllNodes / 125);
    if (pct < minFeasibleNodesPercentageToFind) pct = minFeasibleNodesPercentageToFind;
  }
  const n = Math.floor((numAllNodes * pct) / 100);
  return Math.max(n, minFeasibleNodesToFind);
}
