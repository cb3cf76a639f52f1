// The monitor set's bookkeeping without a cluster: which resources get a monitor, what a
// discovery sync adds and removes, a failing group kept as it was, and shared informers
// released (stopped by the factory only when their last user lets go).
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { InformerSet } from '../src/controllers/garbagecollector/context.ts';
import { type ApiResource, keepFailedGroups } from '../src/controllers/garbagecollector/discovery.ts';
import { ResourceMonitors } from '../src/controllers/garbagecollector/monitors.ts';
import { SharedInformerFactory } from '../src/informer-factory.ts';

const all = ['list', 'watch', 'delete', 'create', 'get'];
const res = (group: string, resource: string, verbs = all): ApiResource => ({ group, version: 'v1', resource, kind: resource, namespaced: true, verbs });

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  // never dialled: no informer here is started
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('garbage collector monitors', () => {
  const log = createLogger('test');
  const list = () => async () => ({ items: [] }) as any;

  it('monitors what can be listed, watched and deleted, except events; syncs add and remove', () => {
    const attached: string[] = [];
    const monitors = new ResourceMonitors(new InformerSet({ kubeConfig: kubeConfig() }, log), list, (_i, r) => attached.push(r.resource));
    const first = monitors.sync([
      res('', 'configmaps'),
      res('', 'events'),
      res('events.k8s.io', 'events'),
      res('', 'bindings', ['create']),
      res('apps', 'deployments'),
    ]);
    expect(first.added.map((r) => r.resource)).to.deep.equal(['configmaps', 'deployments']);
    expect(attached).to.deep.equal(['configmaps', 'deployments']);
    const second = monitors.sync([res('', 'configmaps'), res('example.com', 'widgets')]);
    expect(second.added.map((r) => r.resource)).to.deep.equal(['widgets']);
    expect(second.removed.map((r) => r.resource)).to.deep.equal(['deployments']);
    expect(monitors.size()).to.equal(2);
    expect(monitors.sync([res('', 'configmaps'), res('example.com', 'widgets')])).to.deep.equal({ added: [], removed: [] });
  });

  it('a removed monitor goes quiet: live() turns false', () => {
    const lives: (() => boolean)[] = [];
    const monitors = new ResourceMonitors(new InformerSet({ kubeConfig: kubeConfig() }, log), list, (_i, _r, live) => lives.push(live));
    monitors.sync([res('example.com', 'widgets')]);
    expect(lives[0]!()).to.equal(true);
    monitors.sync([]);
    expect(lives[0]!()).to.equal(false);
  });

  it('keeps the resources of a group whose discovery failed, drops those of a group that is gone', () => {
    const before = [res('', 'configmaps'), res('metrics.example.com', 'flunders'), res('example.com', 'widgets')];
    const fresh = [res('', 'configmaps')];
    expect(keepFailedGroups(before, fresh, new Set(['metrics.example.com'])).map((r) => r.resource)).to.deep.equal(['configmaps', 'flunders']);
  });

  it('a shared informer stops only when its last user releases it', () => {
    const factory = new SharedInformerFactory(kubeConfig(), log);
    const a = factory.informerFor('/apis/example.com/v1/widgets', async () => ({ items: [] }) as any);
    const b = factory.informerFor('/apis/example.com/v1/widgets', async () => ({ items: [] }) as any);
    expect(a).to.equal(b);
    factory.release('/apis/example.com/v1/widgets');
    expect(factory.informerFor('/apis/example.com/v1/widgets', async () => ({ items: [] }) as any)).to.equal(a);
    factory.release('/apis/example.com/v1/widgets');
    factory.release('/apis/example.com/v1/widgets');
    // forgotten: the next user gets a new informer
    expect(factory.informerFor('/apis/example.com/v1/widgets', async () => ({ items: [] }) as any)).to.not.equal(a);
  });
});
