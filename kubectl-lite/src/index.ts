// kubectl-lite as a library: the in-process entry point and the compose converter.
export { run, usage } from './cli.ts';
export type { CliIO, Sink } from './cli.ts';
export { convertCompose } from './compose/convert.ts';
export type { ComposeConversion, ConvertOptions } from './compose/convert.ts';
