// autoscaling/v2 HorizontalPodAutoscaler and autoscaling/v1 from the same storage, through the
// real kubectl (issue 18): kubectl autoscale with the oldest and newest kubectl, defaults,
// Kubernetes' validation messages, v1 <-> v2 conversion with the annotations v1 keeps v2-only
// fields in, the status subresource and the printer's TARGETS column.
import { expect } from 'chai';
import { type ApiserverHandle, kubectlVersions, sharedEtcd, startApiserver } from '@skiff/common/testing/index';
import { encodeProtobufObject } from '../src/protobuf/index.ts';

type Json = Record<string, any>;
const ns = 'default';
const v2Path = (name: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}`;
const v1Path = (name: string) => `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers/${name}`;

describe('autoscaling HorizontalPodAutoscaler (v2 and v1)', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    server = await startApiserver({ etcdUrl: (await sharedEtcd()).url });
  });
  after(async () => {
    await server?.stop();
  });
  const versions = kubectlVersions();
  const newest = versions[versions.length - 1]!;
  const oldest = versions[0]!;
  const k = (args: string[], stdin?: string, version = newest) => server.kubectl(version, args, { stdin });
  const get = async (path: string): Promise<Json> => {
    const r = await server.request('GET', path);
    expect(r.status, r.body).to.equal(200);
    return JSON.parse(r.body);
  };
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
    },
  });

  for (const version of [...new Set([oldest, newest])]) {
    it(`kubectl ${version} autoscale creates an autoscaler with the CPU target and minReplicas/maxReplicas`, async () => {
      const name = `web-${version.replace('.', '-')}`;
      expect((await k(['create', '-f', '-'], JSON.stringify(deployment(name)), version)).code).to.equal(0);
      const r = await k(['autoscale', 'deployment', name, '--cpu-percent=50', '--min=1', '--max=5'], undefined, version);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal(`horizontalpodautoscaler.autoscaling/${name} autoscaled`);
      const hpa = await get(v2Path(name));
      expect(hpa.spec).to.deep.equal({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      });
      expect(hpa.status).to.deep.equal({ currentMetrics: null, desiredReplicas: 0 });
      const v1 = await get(v1Path(name));
      expect(v1.spec.targetCPUUtilizationPercentage).to.equal(50);
      expect(v1.status).to.deep.equal({ currentReplicas: 0, desiredReplicas: 0 });
      const table = await k(['get', 'hpa', name], undefined, version);
      expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
      expect(table.stdout).to.match(new RegExp(`${name}\\s+Deployment/${name}\\s+cpu: <unknown>/50%\\s+1\\s+5\\s+0\\s+`));
    });
  }

  it('defaults minReplicas, the 80% CPU metric and the behavior a client left partly unset', async () => {
    const body = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'defaults' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
        maxReplicas: 3,
        behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
      },
    };
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(body));
    expect(r.code, r.stderr).to.equal(0);
    const spec = JSON.parse(r.stdout).spec;
    expect(spec.minReplicas).to.equal(1);
    expect(spec.metrics).to.deep.equal([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(spec.behavior.scaleUp).to.deep.equal({
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    expect(spec.behavior.scaleDown).to.deep.equal({
      stabilizationWindowSeconds: 30,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  });

  it("rejects invalid specs with Kubernetes' messages", async () => {
    const body = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'bad' },
      spec: {
        scaleTargetRef: { kind: 'Deployment' },
        minReplicas: 4,
        maxReplicas: 2,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }],
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 0, periodSeconds: 15 }] } },
      },
    };
    const r = await k(['create', '-f', '-'], JSON.stringify(body));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('The HorizontalPodAutoscaler "bad" is invalid');
    expect(r.stderr).to.include('spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`');
    expect(r.stderr).to.include('spec.scaleTargetRef.name: Required value');
    expect(r.stderr).to.include('spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0');
    expect(r.stderr).to.include('spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero');
  });

  it('keeps v2-only fields across a v1 read-modify-write, in the annotations upstream uses', async () => {
    const body = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'multi' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' },
        minReplicas: 1,
        maxReplicas: 4,
        metrics: [
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
        ],
      },
    };
    expect((await k(['create', '-f', '-'], JSON.stringify(body))).code).to.equal(0);
    const v1 = await get(v1Path('multi'));
    expect(v1.spec.targetCPUUtilizationPercentage).to.equal(60);
    expect(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics'])).to.deep.equal([
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } },
    ]);
    v1.spec.maxReplicas = 6;
    const put = await server.request('PUT', v1Path('multi'), { body: v1 });
    expect(put.status, put.body).to.equal(200);
    const v2 = await get(v2Path('multi'));
    expect(v2.spec.maxReplicas).to.equal(6);
    expect(v2.spec.metrics).to.deep.equal(body.spec.metrics);
    expect(v2.metadata.annotations ?? {}).to.not.have.property('autoscaling.alpha.kubernetes.io/metrics');
  });

  it('writes status only through /status, and prints the current utilization', async () => {
    const cur = await get(v2Path('multi'));
    const status = {
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } },
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 250, averageValue: '250m' } } },
      ],
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    const ignored = await server.request('PUT', v2Path('multi'), { body: { ...cur, status } });
    expect(ignored.status).to.equal(200);
    expect(JSON.parse(ignored.body).status).to.deep.equal({ currentMetrics: null, desiredReplicas: 0 });
    const r = await server.request('PUT', `${v2Path('multi')}/status`, { body: { ...cur, status } });
    expect(r.status, r.body).to.equal(200);
    const v1 = await get(v1Path('multi'));
    expect(v1.status).to.deep.include({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 250 });
    expect(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions'])[0].reason).to.equal('ReadyForNewScale');
    const table = await k(['get', 'hpa', 'multi']);
    expect(table.stdout).to.match(/multi\s+Deployment\/x\s+memory: 50Mi\/100Mi, cpu: 250%\/60%\s+1\s+6\s+2\s+/);
    const negative = await server.request('PUT', `${v2Path('multi')}/status`, {
      body: { ...(await get(v2Path('multi'))), status: { ...status, desiredReplicas: -1 } },
    });
    expect(negative.status).to.equal(422);
    expect(negative.body).to.include('status.desiredReplicas');
  });

  it('kubectl explain reads the v2 schema; protobuf bodies of both versions are decoded', async () => {
    const r = await k(['explain', 'hpa.spec.behavior.scaleDown']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('stabilizationWindowSeconds');
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' };
    const bodies = [
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'pb2' }, spec: { scaleTargetRef: ref, maxReplicas: 3 } },
      {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'pb1' },
        spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
      },
    ];
    for (const body of bodies) {
      const path = `/apis/${body.apiVersion}/namespaces/${ns}/horizontalpodautoscalers`;
      const p = await server.request('POST', path, { body: encodeProtobufObject(body), headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });
      expect(p.status, p.body).to.equal(201);
    }
    expect((await get(v2Path('pb1'))).spec.metrics[0].resource.target.averageUtilization).to.equal(70);
    expect((await get(v1Path('pb2'))).spec.targetCPUUtilizationPercentage).to.equal(80);
  });

  it('describe shows the metrics and the conditions', async () => {
    const r = await k(['describe', 'hpa', 'multi']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Reference:\s+Deployment\/x/);
    expect(r.stdout).to.include('resource cpu on pods  (as a percentage of request):');
    expect(r.stdout).to.match(/AbleToScale\s+True\s+ReadyForNewScale/);
  });
});
