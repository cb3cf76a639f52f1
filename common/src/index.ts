export { createLogger } from './log.ts';
export type { Logger } from './log.ts';
