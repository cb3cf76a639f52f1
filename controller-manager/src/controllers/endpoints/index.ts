export { name, start, syncEndpoints } from './controller.ts';
export type { EndpointsConfig } from './controller.ts';
