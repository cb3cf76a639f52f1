// Mocha fixtures: many test files share one etcd (per test process), each suite gets
// its own apiserver with its own etcd prefix.
//
//   describe('pods', () => {
//     const cluster = useApiserver();
//     it('lists', async () => {
//       const r = await cluster.server.kubectl('1.33', ['get', 'pods']);
//     });
//   });
import { startApiserver } from './apiserver.ts';
import type { ApiserverHandle, StartApiserverOptions } from './apiserver.ts';
import { sharedEtcd } from './etcd.ts';
import type { EtcdHandle } from './etcd.ts';

const STARTUP_TIMEOUT_MS = 120_000;

export interface EtcdFixture {
  readonly etcd: EtcdHandle;
}

export interface ApiserverFixture extends EtcdFixture {
  readonly server: ApiserverHandle;
}

function notYet(what: string): never {
  throw new Error(`${what} is only available inside tests and hooks (after the suite's before hook)`);
}

/** The shared etcd, available from the suite's before hook on. */
export function useEtcd(): EtcdFixture {
  let etcd: EtcdHandle | undefined;
  before(async function () {
    this.timeout(STARTUP_TIMEOUT_MS);
    etcd = await sharedEtcd();
  });
  return {
    get etcd() {
      return etcd ?? notYet('etcd');
    },
  };
}

/** An apiserver of the suite's own on the shared etcd; stopped after the suite. */
export function useApiserver(opts: Omit<StartApiserverOptions, 'etcdUrl'> = {}): ApiserverFixture {
  let etcd: EtcdHandle | undefined;
  let server: ApiserverHandle | undefined;
  before(async function () {
    this.timeout(STARTUP_TIMEOUT_MS);
    etcd = await sharedEtcd();
    server = await startApiserver({ ...opts, etcdUrl: etcd.url, ...(etcd.tls ? { etcdTls: etcd.tls } : {}) });
  });
  after(async function () {
    this.timeout(30_000);
    await server?.stop();
    server = undefined;
  });
  return {
    get etcd() {
      return etcd ?? notYet('etcd');
    },
    get server() {
      return server ?? notYet('apiserver');
    },
  };
}
