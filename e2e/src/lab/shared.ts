// One lab for every e2e file that needs worker "VMs": bringing a lab up from nothing costs
// a minute or more, and CI's time is capped. Files named e2e/test/lab-*.test.ts run before
// lab.test.ts (mocha takes files in name order, and '-' sorts before '.'); lab.test.ts, whose
// last cases kill and remove workers, stops the lab when it is done, and the lab is in any
// case stopped once every test file has run. Each file works in namespaces of its own and
// removes them afterwards, and leaves every worker as it found it.
import { stopAfterAllFiles } from '@skiff/common/testing/index';
import { startLab, type Lab } from './lab.ts';

/** Workers of the shared lab. */
export const SHARED_LAB_WORKERS = 3;
/** The kubectl minor version the shared lab's kubectl() runs. */
export const SHARED_LAB_KUBECTL = '1.32';

let shared: Promise<Lab> | undefined;
let registered = false;

export function sharedLab(): Promise<Lab> {
  if (!shared) {
    const started = startLab({
      workers: SHARED_LAB_WORKERS,
      kubectlVersion: SHARED_LAB_KUBECTL,
      verbose: process.env.SKIFF_E2E_VERBOSE === '1',
    });
    shared = started;
    // a failed start is not kept: the next file tries again
    started.catch(() => {
      if (shared === started) shared = undefined;
    });
    if (!registered) {
      registered = true;
      stopAfterAllFiles(stopSharedLab);
    }
  }
  return shared;
}

export async function stopSharedLab(): Promise<void> {
  const running = shared;
  shared = undefined;
  const lab = await running?.catch(() => undefined);
  await lab?.down();
}
