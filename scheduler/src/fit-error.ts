// The "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {...}."
// message of Kubernetes' FitError, built from each node's filter status.
import type { Status } from './framework/status.ts';

/** "N reason" per distinct reason, sorted as strings, joined by ", ". */
export function reasonsHistogram(statuses: Map<string, Status>): string {
  const counts = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts]
    .map(([r, n]) => `${n} ${r}`)
    .sort()
    .join(', ');
}

export class FitError extends Error {
  readonly numAllNodes: number;
  readonly statuses: Map<string, Status>;
  readonly preFilterMessage: string;
  postFilterMessage = '';
  /** the statuses say whether preemption may help */
  readonly unresolvableEverywhere: boolean;

  constructor(numAllNodes: number, statuses: Map<string, Status>, preFilterMessage = '') {
    super();
    this.numAllNodes = numAllNodes;
    this.statuses = statuses;
    this.preFilterMessage = preFilterMessage;
    this.unresolvableEverywhere = [...statuses.values()].every((s) => s.code === 'UnschedulableAndUnresolvable');
  }

  override get message(): string {
    if (this.numAllNodes === 0) return 'no nodes available to schedule pods';
    let msg = `0/${this.numAllNodes} nodes are available:`;
    msg += ` ${this.preFilterMessage || reasonsHistogram(this.statuses)}.`;
    if (this.postFilterMessage) msg += ` ${this.postFilterMessage}`;
    return msg;
  }
}
