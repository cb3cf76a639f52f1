// Mocha root hook plugin (scripts/mocha/mocharc.cjs requires it): stops what the
// harness shares between test files once every file has run.
import { stopSharedEtcd } from './etcd.ts';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSharedEtcd();
  },
};
