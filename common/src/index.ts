export { createLogger } from './log.ts';
export type { Logger } from './log.ts';
export { parseFlags, FlagError } from './flags.ts';
export type { FlagSpec, FlagValues } from './flags.ts';
