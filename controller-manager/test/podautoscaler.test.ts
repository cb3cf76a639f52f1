// The HPA controller against a real apiserver (no metrics server here): the min/max clamp
// rescales through the Deployment's /scale with SuccessfulRescale, a metric that cannot be
// read turns ScalingActive False (FailedGetResourceMetric) and leaves the replicas alone, a
// missing target is FailedGetScale, a target scaled to zero by hand disables scaling; read
// through the real kubectl as a user would.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { ClusterView, deploymentManifest, startTestManager, waitFor } from './support/cluster.ts';

type Json = Record<string, any>;

const hpa = (name: string, target: string, min: number, max: number, ref = { apiVersion: 'apps/v1', kind: 'Deployment' }) =>
  JSON.stringify({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { ...ref, name: target },
      minReplicas: min,
      maxReplicas: max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  });

describe('controller-manager: HorizontalPodAutoscaler controller (real apiserver, kubectl)', function () {
  this.timeout(120_000);
  let cm: ControllerManagerHandle | undefined;
  const cluster = useApiserver();
  let view: ClusterView;
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });
  const getHpa = async (name: string): Promise<Json> => JSON.parse((await k(['get', 'hpa', name, '-o', 'json'])).stdout);
  const condition = (h: Json, type: string) => (h.status?.conditions ?? []).find((c: Json) => c.type === type);
  const replicas = async (name: string) => JSON.parse((await k(['get', 'deployment', name, '-o', 'json'])).stdout).spec.replicas as number;

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath, { controllers: ['horizontalpodautoscaling'], hpaSyncPeriodSeconds: 1 });
  });
  after(async () => {
    await cm?.stop();
  });

  it('raises a target below minReplicas to the minimum (SuccessfulRescale), then reports it cannot read CPU', async () => {
    expect((await k(['apply', '-f', '-'], deploymentManifest('web', { replicas: 1 }))).code).to.equal(0);
    expect((await k(['apply', '-f', '-'], hpa('web', 'web', 2, 4))).code).to.equal(0);
    await waitFor('web scaled to 2', async () => (await replicas('web')) === 2);
    const events = await waitFor('SuccessfulRescale', async () => {
      const ev = await view.events('default', 'HorizontalPodAutoscaler', 'web', 'SuccessfulRescale');
      return ev.length > 0 && ev;
    });
    expect(events[0]!.message).to.equal('New size: 2; reason: Current number of replicas below Spec.MinReplicas');
    expect(events[0]!.source?.component).to.equal('horizontal-pod-autoscaler');
    // within range now: the CPU metric is asked for, and nothing serves metrics.k8s.io here
    const h = await waitFor('ScalingActive False', async () => {
      const cur = await getHpa('web');
      return condition(cur, 'ScalingActive')?.status === 'False' && cur;
    });
    expect(condition(h, 'ScalingActive').reason).to.equal('FailedGetResourceMetric');
    expect(condition(h, 'ScalingActive').message).to.match(
      /^the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: /,
    );
    expect(condition(h, 'AbleToScale')).to.include({ status: 'True', reason: 'SucceededGetScale' });
    expect(h.status).to.include({ currentReplicas: 2, desiredReplicas: 2, observedGeneration: 1 });
    expect(h.status.lastScaleTime).to.be.a('string');
    const failed = await waitFor('FailedGetResourceMetric event', async () => {
      const ev = await view.events('default', 'HorizontalPodAutoscaler', 'web', 'FailedGetResourceMetric');
      return ev.length > 0 && ev;
    });
    expect(failed[0]!.type).to.equal('Warning');
    expect((await view.events('default', 'HorizontalPodAutoscaler', 'web', 'FailedComputeMetricsReplicas'))[0]?.message).to.match(
      /^invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu utilization: /,
    );
    expect(await replicas('web')).to.equal(2);
    const table = await k(['get', 'hpa', 'web', '--no-headers']);
    expect(table.stdout).to.match(/^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+4\s+2\s+/);
  });

  it('lowers a target above maxReplicas to the maximum', async () => {
    expect((await k(['apply', '-f', '-'], deploymentManifest('big', { replicas: 6 }))).code).to.equal(0);
    expect((await k(['apply', '-f', '-'], hpa('big', 'big', 1, 3))).code).to.equal(0);
    await waitFor('big scaled to 3', async () => (await replicas('big')) === 3);
    const ev = await waitFor('SuccessfulRescale', async () => {
      const e = await view.events('default', 'HorizontalPodAutoscaler', 'big', 'SuccessfulRescale');
      return e.length > 0 && e;
    });
    expect(ev[0]!.message).to.equal('New size: 3; reason: Current number of replicas above Spec.MaxReplicas');
  });

  it('scales any kind with a scale subresource found by discovery: a StatefulSet', async () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 5,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'registry.local/db:1' }] } },
      },
    };
    expect((await k(['apply', '-f', '-'], JSON.stringify(sts))).code).to.equal(0);
    expect((await k(['apply', '-f', '-'], hpa('db', 'db', 1, 2, { apiVersion: 'apps/v1', kind: 'StatefulSet' }))).code).to.equal(0);
    await waitFor('db scaled to 2', async () => JSON.parse((await k(['get', 'statefulset', 'db', '-o', 'json'])).stdout).spec.replicas === 2);
  });

  it('scales a custom resource through the scale subresource of its CRD', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'workers.hpa.example.com' },
      spec: {
        group: 'hpa.example.com',
        scope: 'Namespaced',
        names: { plural: 'workers', singular: 'worker', kind: 'Worker' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
                  status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
                },
              },
            },
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
            },
          },
        ],
      },
    };
    expect((await k(['apply', '-f', '-'], JSON.stringify(crd))).code).to.equal(0);
    expect((await k(['wait', '--for=condition=Established', 'crd/workers.hpa.example.com', '--timeout=30s'])).code).to.equal(0);
    const worker = { apiVersion: 'hpa.example.com/v1', kind: 'Worker', metadata: { name: 'crunch' }, spec: { replicas: 5 } };
    expect((await k(['apply', '-f', '-'], JSON.stringify(worker))).code).to.equal(0);
    expect((await k(['apply', '-f', '-'], hpa('crunch', 'crunch', 1, 2, { apiVersion: 'hpa.example.com/v1', kind: 'Worker' }))).code).to.equal(0);
    const workerReplicas = async () => JSON.parse((await k(['get', 'workers.hpa.example.com', 'crunch', '-o', 'json'])).stdout).spec.replicas as number;
    await waitFor('crunch scaled to 2', async () => (await workerReplicas()) === 2);
    const ev = await waitFor('SuccessfulRescale', async () => {
      const e = await view.events('default', 'HorizontalPodAutoscaler', 'crunch', 'SuccessfulRescale');
      return e.length > 0 && e;
    });
    expect(ev[0]!.message).to.equal('New size: 2; reason: Current number of replicas above Spec.MaxReplicas');
    const h = await getHpa('crunch');
    expect(condition(h, 'AbleToScale')?.status).to.equal('True');
    const table = await k(['get', 'hpa', 'crunch', '--no-headers']);
    expect(table.stdout).to.match(/^crunch\s+Worker\/crunch\s+/);
  });

  it('Pods and External metrics without a custom or external metrics API: ScalingActive False with the reason, events, <unknown> targets', async () => {
    expect((await k(['apply', '-f', '-'], deploymentManifest('queue', { replicas: 2 }))).code).to.equal(0);
    const spec = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'queue' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'queue' },
        minReplicas: 1,
        maxReplicas: 4,
        metrics: [
          { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } } },
          { type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'AverageValue', averageValue: '30' } } },
        ],
      },
    };
    expect((await k(['apply', '-f', '-'], JSON.stringify(spec))).code).to.equal(0);
    const h = await waitFor('ScalingActive False', async () => {
      const cur = await getHpa('queue');
      return condition(cur, 'ScalingActive')?.status === 'False' && cur;
    });
    // the first metric's failure names the condition, as upstream's first error does
    expect(condition(h, 'ScalingActive').reason).to.equal('FailedGetPodsMetric');
    expect(condition(h, 'ScalingActive').message).to.match(
      /^the HPA was unable to compute the replica count: unable to get metric requests_per_second: .*custom\.metrics\.k8s\.io/,
    );
    for (const reason of ['FailedGetPodsMetric', 'FailedGetExternalMetric']) {
      const ev = await waitFor(`${reason} event`, async () => {
        const e = await view.events('default', 'HorizontalPodAutoscaler', 'queue', reason);
        return e.length > 0 && e;
      });
      expect(ev[0]!.type).to.equal('Warning');
    }
    const external = (await view.events('default', 'HorizontalPodAutoscaler', 'queue', 'FailedGetExternalMetric'))[0]!;
    expect(external.message).to.match(/^unable to get external metric queue_depth: no metrics API serves external\.metrics\.k8s\.io: /);
    expect(JSON.parse((await k(['get', 'deployment', 'queue', '-o', 'json'])).stdout).spec.replicas).to.equal(2);
    const table = await k(['get', 'hpa', 'queue', '--no-headers']);
    expect(table.stdout).to.match(/^queue\s+Deployment\/queue\s+<unknown>\/10, <unknown>\/30 \(avg\)\s+1\s+4\s+2\s+/);
    const described = (await k(['describe', 'hpa', 'queue'])).stdout;
    expect(described).to.match(/ScalingActive\s+False\s+FailedGetPodsMetric/);
    expect(described).to.match(/"queue_depth" \(target average value\):\s+<unknown> \/ 30/);
  });

  it('a missing target is FailedGetScale; a target scaled to zero by hand disables scaling', async () => {
    expect((await k(['apply', '-f', '-'], hpa('ghost', 'nothing-here', 1, 3))).code).to.equal(0);
    const ghost = await waitFor('AbleToScale False', async () => {
      const cur = await getHpa('ghost');
      return condition(cur, 'AbleToScale')?.status === 'False' && cur;
    });
    expect(condition(ghost, 'AbleToScale').reason).to.equal('FailedGetScale');
    expect(condition(ghost, 'AbleToScale').message).to.include("the HPA controller was unable to get the target's current scale: ");
    expect((await view.events('default', 'HorizontalPodAutoscaler', 'ghost', 'FailedGetScale')).length).to.be.greaterThan(0);

    expect((await k(['scale', 'deployment', 'big', '--replicas=0'])).code).to.equal(0);
    const off = await waitFor('ScalingDisabled', async () => {
      const cur = await getHpa('big');
      return condition(cur, 'ScalingActive')?.reason === 'ScalingDisabled' && cur;
    });
    expect(condition(off, 'ScalingActive')).to.include({ status: 'False', message: 'scaling is disabled since the replica count of the target is zero' });
    expect(await replicas('big')).to.equal(0);
    expect(off.status).to.include({ currentReplicas: 0, desiredReplicas: 0 });
  });
});
