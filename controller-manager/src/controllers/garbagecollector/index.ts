export { name, start, GarbageCollector } from './controller.ts';
export type { GarbageCollectorConfig } from './controller.ts';
export { OwnerGraph, decideForDependent } from './graph.ts';
