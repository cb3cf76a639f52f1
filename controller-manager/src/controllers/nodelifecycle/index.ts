export { name, start, syncNode, HeartbeatTracker } from './controller.ts';
export type { NodeLifecycleConfig } from './controller.ts';
export { desiredTaints, evictionDelayMs, unknownConditions, readyStatus, tolerates } from './health.ts';
