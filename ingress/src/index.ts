export * from './routes.ts';
export { claimedIngresses, resolveBackend, buildTable } from './state.ts';
export { contextFor } from './proxy.ts';
export { nodeAddresses } from './status.ts';
