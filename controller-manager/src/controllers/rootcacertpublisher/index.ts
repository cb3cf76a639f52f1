export { name, start, publish, configMapName } from './controller.ts';
export type { RootCaConfig } from './controller.ts';
