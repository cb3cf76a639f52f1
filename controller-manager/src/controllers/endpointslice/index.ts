export { name, start, syncSlices } from './controller.ts';
export type { EndpointSliceConfig } from './controller.ts';
export { planSlices, desiredEndpoints, MAX_ENDPOINTS_PER_SLICE } from './plan.ts';
