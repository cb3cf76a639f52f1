// The single-node cluster fixture: the whole `make up` cluster in a network namespace of its
// own, driven from the host by the real kubectl (see cluster.ts).
export { startSingleNodeCluster, APISERVER_PORT } from './cluster.ts';
export {
  sharedSingleNodeCluster,
  stopSharedSingleNodeCluster,
  SHARED_CRONJOB_TIME_SCALE,
  SHARED_HPA_DOWNSCALE_SECONDS,
  SHARED_HPA_SYNC_SECONDS,
} from './shared.ts';
export type { SingleNodeCluster, SingleNodeClusterOptions } from './cluster.ts';
export { createNodeNetwork, removeNodeNetwork, inNode } from './node-network.ts';
export type { NodeNetwork } from './node-network.ts';
export { httpGet, servingPod, tallyPods } from './http.ts';
export type { HttpAnswer, Tally } from './http.ts';
export { run, runOk } from './run.ts';
export type { RunOptions, RunResult } from './run.ts';
