// The garbage collector follows discovery: a CRD created after it started gets a monitor at
// the next discovery sync, so custom resources are collected with dangling owners and owners of
// core objects are honoured; a deleted CRD's monitor is stopped, and its informer with it.
import { expect } from 'chai';
import { loadKubeConfig } from '@skiff/common';
import type { Logger } from '@skiff/common';
import { until, useApiserver } from '@skiff/common/testing/index';
import * as garbagecollector from '../src/controllers/garbagecollector/index.ts';
import { SharedInformerFactory } from '../src/informer-factory.ts';

const v = '1.33';
const NS = 'gc-crd';

interface Logged {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, so the test can look for warnings. */
function recordingLogger(into: Logged[], base: Record<string, unknown> = {}): Logger {
  const rec =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      into.push({ level, msg, fields: { ...base, ...fields } });
    };
  return { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), child: (f) => recordingLogger(into, { ...base, ...f }) };
}

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.gc.example.com' },
  spec: {
    group: 'gc.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      },
    ],
  },
};

describe('garbage collector: discovery sync picks up CRDs created later', function () {
  this.timeout(120_000);
  let stop: (() => Promise<void>) | undefined;
  let factory: SharedInformerFactory | undefined;
  // registered before the apiserver's: the controller stops while its apiserver still answers
  after(async () => {
    await stop?.();
    factory?.stop();
  });
  const cluster = useApiserver();
  const logged: Logged[] = [];
  const k = async (args: string[], stdin?: string) => {
    const r = await cluster.server.kubectl(v, args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const uidOf = async (what: string) => (await k(['-n', NS, 'get', what, '-o', 'jsonpath={.metadata.uid}'])).trim();
  const gone = async (what: string) => (await cluster.server.kubectl(v, ['-n', NS, 'get', what])).code !== 0;
  const ownerRef = (apiVersion: string, kind: string, name: string, uid: string) => [{ apiVersion, kind, name, uid, blockOwnerDeletion: true }];
  const widget = (name: string, owners?: object[]) =>
    JSON.stringify({
      apiVersion: 'gc.example.com/v1',
      kind: 'Widget',
      metadata: { name, namespace: NS, ...(owners ? { ownerReferences: owners } : {}) },
      spec: {},
    });
  const configMap = (name: string, owners?: object[]) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, ...(owners ? { ownerReferences: owners } : {}) }, data: {} });
  const monitorsChanged = (key: 'added' | 'removed') =>
    logged.filter((l) => l.msg === 'discovery changed, monitors synced' && (l.fields[key] as string[]).includes('widgets.gc.example.com'));

  before(async () => {
    await k(['create', 'namespace', NS]);
    const kubeConfig = loadKubeConfig(cluster.server.kubeconfigPath);
    const log = recordingLogger(logged);
    // as in the manager: informers shared through the factory
    factory = new SharedInformerFactory(kubeConfig, log);
    factory.start();
    stop = await garbagecollector.start({ kubeConfig, log, informers: factory, config: { discoverySyncPeriodSeconds: 0.3 } });
    await until('collector watching', () => logged.some((l) => l.msg === 'watching resources'));
    await k(['apply', '-f', '-'], JSON.stringify(crd));
    await k(['wait', '--for=condition=Established', '--timeout=10s', 'crd/widgets.gc.example.com']);
  });

  it('starts a monitor for the new resource at the next discovery sync', async () => {
    await until('widgets monitored', () => monitorsChanged('added').length > 0, 15_000);
  });

  it('collects a custom resource whose owner (a ConfigMap) is deleted', async () => {
    await k(['-n', NS, 'create', 'configmap', 'owner-cm']);
    await k(['apply', '-f', '-'], widget('owned-widget', ownerRef('v1', 'ConfigMap', 'owner-cm', await uidOf('configmap/owner-cm'))));
    await k(['-n', NS, 'delete', 'configmap', 'owner-cm']);
    await until('widget collected', () => gone('widget/owned-widget'), 20_000);
  });

  it('keeps a custom resource whose owner is alive', async () => {
    await k(['-n', NS, 'create', 'configmap', 'live-owner']);
    await k(['apply', '-f', '-'], widget('kept-widget', ownerRef('v1', 'ConfigMap', 'live-owner', await uidOf('configmap/live-owner'))));
    // a dangling sibling created after it is collected: the kept one was processed by then
    await k(['apply', '-f', '-'], widget('probe-widget', ownerRef('v1', 'ConfigMap', 'never-was', '00000000-0000-0000-0000-000000000001')));
    await until('probe collected', () => gone('widget/probe-widget'), 20_000);
    expect(await gone('widget/kept-widget')).to.equal(false);
  });

  for (const cascade of ['background', 'foreground'] as const) {
    it(`collects a ConfigMap owned by a custom resource deleted with --cascade=${cascade}`, async () => {
      const owner = `owner-${cascade}`;
      await k(['apply', '-f', '-'], widget(owner));
      await k(['apply', '-f', '-'], configMap(`dep-${cascade}`, ownerRef('gc.example.com/v1', 'Widget', owner, await uidOf(`widget/${owner}`))));
      // foreground: kubectl waits for the owner to go, which needs the collector to delete the dependent first
      await k(['-n', NS, 'delete', 'widget', owner, `--cascade=${cascade}`, '--timeout=20s']);
      await until(`configmap dep-${cascade} collected`, () => gone(`configmap/dep-${cascade}`), 20_000);
      expect(await gone(`widget/${owner}`)).to.equal(true);
    });
  }

  it('stops the monitor of a deleted CRD and its informer stays quiet', async () => {
    await k(['apply', '-f', '-'], widget('last-widget'));
    await k(['delete', 'crd', 'widgets.gc.example.com', '--timeout=20s']);
    await until('widgets monitor stopped', () => monitorsChanged('removed').length > 0, 15_000);
    const removedAt = logged.indexOf(monitorsChanged('removed')[0]!);
    // several sync periods and informer back-offs later, nothing complains about the old resource
    await new Promise((r) => setTimeout(r, 3000));
    const complaints = logged.slice(removedAt).filter((l) => (l.level === 'warn' || l.level === 'error') && JSON.stringify(l).includes('widgets'));
    expect(complaints).to.deep.equal([]);
    // and the collector still works for the rest
    await k(['-n', NS, 'create', 'configmap', 'after-owner']);
    await k(['apply', '-f', '-'], configMap('after-dep', ownerRef('v1', 'ConfigMap', 'after-owner', await uidOf('configmap/after-owner'))));
    await k(['-n', NS, 'delete', 'configmap', 'after-owner']);
    await until('after-dep collected', () => gone('configmap/after-dep'), 20_000);
  });
});
