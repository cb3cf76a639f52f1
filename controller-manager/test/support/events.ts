// Reading the controllers' Events back: ScalingReplicaSet messages as size steps, and the pod
// names of SuccessfulCreate / SuccessfulDelete.
import type { CoreV1Event } from '@kubernetes/client-node';

export interface ScalingStep {
  rs: string;
  from: number;
  to: number;
}

const scalingMessage = /^Scaled (up|down) replica set (\S+) from (\d+) to (\d+)$/;

/** Parses upstream's ScalingReplicaSet wording; throws on anything else so a typo fails loudly. */
export function scalingSteps(events: readonly CoreV1Event[]): ScalingStep[] {
  return events.map((e) => {
    const m = scalingMessage.exec(e.message ?? '');
    if (!m) throw new Error(`not a ScalingReplicaSet message: ${e.message}`);
    const step = { rs: m[2]!, from: Number(m[3]), to: Number(m[4]) };
    if ((m[1] === 'up') !== step.to > step.from) throw new Error(`wrong direction: ${e.message}`);
    return step;
  });
}

/**
 * Follows one ReplicaSet's steps from 0 (its creation). Event timestamps have one-second
 * resolution, so order comes from the chain itself: each step must start where the last ended.
 * Returns the size reached, or undefined when some step does not fit (missing or extra event).
 */
export function replayScaling(steps: readonly ScalingStep[], rs: string): number | undefined {
  const left = steps.filter((s) => s.rs === rs);
  let size = 0;
  while (left.length) {
    const i = left.findIndex((s) => s.from === size);
    if (i < 0) return undefined;
    size = left.splice(i, 1)[0]!.to;
  }
  return size;
}

/** Pod names from "Created pod: NAME" / "Deleted pod: NAME". */
export function podNames(events: readonly CoreV1Event[], reason: 'SuccessfulCreate' | 'SuccessfulDelete'): string[] {
  const prefix = reason === 'SuccessfulCreate' ? 'Created pod: ' : 'Deleted pod: ';
  return events.filter((e) => e.reason === reason && e.message?.startsWith(prefix)).map((e) => e.message!.slice(prefix.length));
}
