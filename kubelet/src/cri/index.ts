// The CRI client for the kubelet: `new CriClient({ endpoint: 'unix:///path/containerd.sock' })`.
export { CriClient, CriError, criEndpoint, CRI_API_VERSION } from './client.ts';
export type { CriClientOptions, CallOptions } from './client.ts';
export type * from './types.ts';
