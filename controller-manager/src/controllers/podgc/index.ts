export { name, start } from './controller.ts';
export type { PodGcConfig } from './controller.ts';
