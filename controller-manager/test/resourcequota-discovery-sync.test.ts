// The quota controller follows discovery like kube's QuotaMonitor: a CRD created after it
// started gets a replenishment monitor, so deleting a custom resource frees its
// count/<resource>.<group> right away, not at the next full resync (set far out here).
import { expect } from 'chai';
import { loadKubeConfig } from '@skiff/common';
import { until, useApiserver } from '@skiff/common/testing/index';
import * as resourcequota from '../src/controllers/resourcequota/index.ts';

const v = '1.33';
const NS = 'quota-crd';
const COUNT = 'count/gadgets.quota.example.com';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.quota.example.com' },
  spec: {
    group: 'quota.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

describe('resource quota controller: discovery sync picks up CRDs created later', function () {
  this.timeout(120_000);
  let stop: (() => Promise<void>) | undefined;
  // registered before the apiserver's: the controller stops while its apiserver still answers
  after(async () => {
    await stop?.();
  });
  const cluster = useApiserver();
  const k = async (args: string[], stdin?: string) => {
    const r = await cluster.server.kubectl(v, args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const used = async () => JSON.parse(await k(['-n', NS, 'get', 'resourcequota', 'gadgets', '-o', 'json'])).status?.used?.[COUNT] as string | undefined;
  const gadget = (name: string) => JSON.stringify({ apiVersion: 'quota.example.com/v1', kind: 'Gadget', metadata: { name, namespace: NS } });

  before(async () => {
    await k(['create', 'namespace', NS]);
    stop = await resourcequota.start({
      kubeConfig: loadKubeConfig(cluster.server.kubeconfigPath),
      config: { discoverySyncPeriodSeconds: 0.3, resourceQuotaSyncPeriodSeconds: 3600, resourceQuotaSettleSeconds: 0.2 },
    });
    await k(['apply', '-f', '-'], JSON.stringify(crd));
    await k(['wait', '--for=condition=Established', '--timeout=10s', 'crd/gadgets.quota.example.com']);
  });

  it('counts custom resources, and frees the count when one is deleted', async () => {
    await k(['-n', NS, 'create', 'quota', 'gadgets', `--hard=${COUNT}=5`]);
    await until('quota counted', async () => (await used()) === '0');
    await k(['apply', '-f', '-'], gadget('a'));
    await k(['apply', '-f', '-'], gadget('b'));
    await until('two gadgets charged', async () => (await used()) === '2');
    await k(['-n', NS, 'delete', 'gadget', 'a']);
    await until('count freed on delete', async () => (await used()) === '1', 20_000);
    expect(await used()).to.equal('1');
  });
});
