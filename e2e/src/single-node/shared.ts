// One single-node cluster for every e2e file that needs one: starting a whole cluster costs
// about a minute, and CI's time is capped. Each file works in namespaces of its own and
// removes them afterwards. The cluster is stopped by stopSharedSingleNodeCluster(), which the
// alphabetically last user (statefulsets.test.ts) calls so that the suites after e2e run on
// a quiet machine, and in any case once every test file has run. A file that asks for it
// after it was stopped gets a new one.
import { stopAfterAllFiles } from '@skiff/common/testing/index';
import { startSingleNodeCluster, type SingleNodeCluster } from './cluster.ts';

/** CronJobs in the shared cluster run this many times faster (the controller's --cronjob-time-scale). */
export const SHARED_CRONJOB_TIME_SCALE = 20;
/** The HPA controller's --horizontal-pod-autoscaler-downscale-stabilization in the shared cluster (5 min upstream). */
export const SHARED_HPA_DOWNSCALE_SECONDS = 30;
/** Its --horizontal-pod-autoscaler-sync-period (15 s upstream). */
export const SHARED_HPA_SYNC_SECONDS = 5;

let shared: Promise<SingleNodeCluster> | undefined;
let registered = false;

export function sharedSingleNodeCluster(): Promise<SingleNodeCluster> {
  if (!shared) {
    process.env.SKIFF_CONTROLLER_MANAGER_CRONJOB_TIME_SCALE = String(SHARED_CRONJOB_TIME_SCALE);
    process.env.SKIFF_CONTROLLER_MANAGER_HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION = `${SHARED_HPA_DOWNSCALE_SECONDS}s`;
    process.env.SKIFF_CONTROLLER_MANAGER_HORIZONTAL_POD_AUTOSCALER_SYNC_PERIOD = `${SHARED_HPA_SYNC_SECONDS}s`;
    const started = startSingleNodeCluster();
    shared = started;
    // a failed start is not kept: the next file tries again
    started.catch(() => {
      if (shared === started) shared = undefined;
    });
    if (!registered) {
      registered = true;
      stopAfterAllFiles(stopSharedSingleNodeCluster);
    }
  }
  return shared;
}

export async function stopSharedSingleNodeCluster(): Promise<void> {
  const running = shared;
  shared = undefined;
  const c = await running?.catch(() => undefined);
  await c?.down();
}
