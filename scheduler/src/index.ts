export { Scheduler } from './scheduler.ts';
export type { SchedulerOptions, SchedulerWriter } from './scheduler.ts';
export { SchedulerApi } from './api.ts';
export { wireInformers } from './informers.ts';
export { createSchedulerMetrics } from './metrics.ts';
export { loadSchedulerConfig, buildFrameworks } from './framework/profile.ts';
export type { SchedulerConfig, ProfileConfig } from './framework/profile.ts';
export { numFeasibleNodesToFind } from './node-sampling.ts';
