// Mocha root hook plugin (scripts/mocha/mocharc.cjs requires it): stops what the
// harness shares between test files once every file has run.
import { runAfterAllFilesStops } from './after-all-files.ts';
import { stopSharedEtcd } from './etcd.ts';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(180_000);
    await runAfterAllFilesStops();
    await stopSharedEtcd();
  },
};
