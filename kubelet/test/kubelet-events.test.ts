// Events the kubelet records for pods, against a real apiserver with the simulated runtime
// (the CRI paths are covered in kubelet-pods and kubelet-lifecycle): one event per action,
// container events pointing at their container, `kubectl describe pod` listing them, and
// hollow nodes recording none.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@skiff/common';
import { useApiserver, until } from '@skiff/common/testing/index';
import { runHollowNodes, type HollowNodes } from '../src/hollow.ts';
import { Kubelet } from '../src/kubelet.ts';
import { containerFieldPath, goDuration } from '../src/pods/events.ts';

type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kubelet events (pure parts)', () => {
  it('prints durations as Go does', () => {
    expect([0, 7, 850, 1000, 1234, 1200, 20_500, 60_000, 123_456, 3_723_400].map(goDuration)).to.deep.equal([
      '0s',
      '7ms',
      '850ms',
      '1s',
      '1.234s',
      '1.2s',
      '20.5s',
      '1m0s',
      '2m3.456s',
      '1h2m3.4s',
    ]);
  });

  it('points container events at spec.containers or spec.initContainers', () => {
    const pod = { spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'web' }] } } as never;
    expect(containerFieldPath(pod, 'web')).to.equal('spec.containers{web}');
    expect(containerFieldPath(pod, 'setup')).to.equal('spec.initContainers{setup}');
  });
});

describe('kubelet events with the simulated runtime', function () {
  this.timeout(60_000);
  const NODE = 'ev-node-1';
  const cluster = useApiserver();
  let kubelet: Kubelet | undefined;
  let hollow: HollowNodes | undefined;
  let rootDir: string;

  const api = (method: string, path: string, body?: object) => cluster.server.request(method, path, body ? { body } : {});
  const createPod = async (name: string, node: string, extra: Json = {}) => {
    const r = await api('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: node, containers: [{ name: 'web', image: 'example/web:1' }], ...extra },
    });
    expect(r.status, r.body).to.equal(201);
    return JSON.parse(r.body) as Json;
  };
  const eventsOf = async (name: string): Promise<Json[]> => {
    const r = await api('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`);
    expect(r.status, r.body).to.equal(200);
    return JSON.parse(r.body).items;
  };
  const find = (events: Json[], reason: string, fieldPath?: string) =>
    events.filter((e) => e.reason === reason && (fieldPath === undefined || e.involvedObject.fieldPath === fieldPath));

  before(async () => {
    rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-events-'));
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    kubelet = new Kubelet({
      kubeConfig: kc,
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      rootDir,
      runtime: 'simulated',
      simulatedReadyDelayMs: 300,
      port: -1,
      resyncMs: 200,
      logger: createLogger('kubelet-test'),
    });
    await kubelet.start();
  });

  after(async () => {
    await kubelet?.stop();
    await hollow?.stop();
    if (rootDir) rmSync(rootDir, { recursive: true, force: true });
  });

  it('records Pulled, Created and Started once per container, with its fieldPath', async () => {
    const pod = await createPod('ev-web', NODE, { initContainers: [{ name: 'setup', image: 'example/setup:1' }] });
    await until('ev-web Running', async () => JSON.parse((await api('GET', '/api/v1/namespaces/default/pods/ev-web')).body).status?.phase === 'Running');
    const events = await until('Started events', async () => {
      const e = await eventsOf('ev-web');
      return find(e, 'Started').length === 2 && e;
    });
    for (const [fieldPath, name, image] of [
      ['spec.initContainers{setup}', 'setup', 'example/setup:1'],
      ['spec.containers{web}', 'web', 'example/web:1'],
    ]) {
      const messages = Object.fromEntries(
        ['Pulled', 'Created', 'Started'].map((reason) => {
          const found = find(events, reason, fieldPath);
          expect(found, `${reason} ${fieldPath}`).to.have.length(1);
          return [reason, found[0].message];
        }),
      );
      expect(messages).to.deep.equal({
        Pulled: `Container image "${image}" already present on machine`,
        Created: `Created container: ${name}`,
        Started: `Started container ${name}`,
      });
    }
    const started = find(events, 'Started', 'spec.containers{web}')[0];
    expect(started.type).to.equal('Normal');
    expect(started.involvedObject).to.include({ kind: 'Pod', apiVersion: 'v1', name: 'ev-web', namespace: 'default', uid: pod.metadata.uid });
    expect(started.source).to.deep.equal({ component: 'kubelet', host: NODE });
    expect(started.reportingComponent).to.equal('kubelet');
    expect(started.reportingInstance).to.equal(NODE);

    // The worker syncs every 200 ms: none of that may record the start again.
    await sleep(1500);
    const later = await eventsOf('ev-web');
    expect(later.map((e) => `${e.reason} ${e.involvedObject.fieldPath} x${e.count}`).sort()).to.deep.equal(
      events.map((e) => `${e.reason} ${e.involvedObject.fieldPath} x1`).sort(),
    );
  });

  it('kubectl describe pod lists them', async () => {
    const r = await cluster.server.kubectl('1.33', ['describe', 'pod', 'ev-web']);
    expect(r.code, r.stderr).to.equal(0);
    const section = r.stdout.slice(r.stdout.indexOf('Events:'));
    expect(section, r.stdout).to.match(/Normal\s+Pulled\s+.*kubelet\s+Container image "example\/web:1" already present on machine/);
    expect(section).to.match(/Normal\s+Created\s+.*kubelet\s+Created container: web/);
    expect(section).to.match(/Normal\s+Started\s+.*kubelet\s+Started container setup/);
  });

  it('records Killing for each container when the pod is deleted', async () => {
    await api('DELETE', '/api/v1/namespaces/default/pods/ev-web');
    await until('ev-web gone', async () => (await api('GET', '/api/v1/namespaces/default/pods/ev-web')).status === 404);
    const killing = await until('Killing', async () => {
      const k = find(await eventsOf('ev-web'), 'Killing');
      return k.length > 0 && k;
    });
    expect(killing.map((e) => [e.involvedObject.fieldPath, e.message, e.count])).to.deep.equal([['spec.containers{web}', 'Stopping container web', 1]]);
  });

  it('hollow nodes record no events', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.server.kubeconfigPath);
    hollow = await runHollowNodes({ kubeConfig: kc, count: 1, prefix: 'ev-hollow-', readyDelayMs: 200, log: createLogger('hollow-test') });
    await createPod('ev-on-hollow', 'ev-hollow-0');
    await until(
      'ev-on-hollow Running',
      async () => JSON.parse((await api('GET', '/api/v1/namespaces/default/pods/ev-on-hollow')).body).status?.phase === 'Running',
    );
    await sleep(500);
    expect(await eventsOf('ev-on-hollow')).to.deep.equal([]);
  });
});
