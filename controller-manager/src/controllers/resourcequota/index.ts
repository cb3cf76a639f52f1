export { name, start } from './controller.ts';
export type { ResourceQuotaConfig } from './controller.ts';
