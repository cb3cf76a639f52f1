export { name, start, ensureServiceAccounts } from './controller.ts';
export type { ServiceAccountConfig } from './controller.ts';
