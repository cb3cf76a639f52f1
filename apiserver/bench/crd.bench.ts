// `make bench` figures for custom resources (issue 17): creates/s and the time to LIST 10,000
// objects, for a CronTab (manifests/11-crontab-crd.yaml: schema, defaults, a CEL rule, printer
// columns) next to the same figures for ConfigMaps, in one run on one apiserver. Prints
// numbers, asserts nothing. `make bench FILTER=crd` runs only this file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startApiserver, startEtcd } from '@skiff/common/testing/index';
import yaml from 'js-yaml';
import { agentFor, call, inFlight, line, ms, pct } from './lib/load.ts';

const total = 10_000;
const creates = 3_000;
const warmUp = 500;

async function main() {
  const etcd = await startEtcd();
  const api = await startApiserver({ etcdUrl: etcd.url, extraArgs: ['--compaction-interval-seconds=0'] });
  const base = api.url;
  const agent = agentFor(api, 64);
  try {
    const crd = yaml.load(readFileSync(join(repoRoot(), 'manifests', '11-crontab-crd.yaml'), 'utf8'));
    const made = await call(agent, base, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    if (made.status !== 201) throw new Error(`CRD create failed ${made.status} ${made.body}`);
    for (const ns of ['bench-cm', 'bench-cr'])
      await call(agent, base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const crPath = '/apis/stable.example.com/v1/namespaces/bench-cr/crontabs';
    for (let i = 0; i < 100 && (await call(agent, base, 'GET', crPath)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));

    // the same payload size for both: a few short fields beside the metadata
    const configMap = (i: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'bench-cm', labels: { app: 'bench' } },
      data: { cronSpec: '*/5 * * * *', image: 'registry.example.com/job:1', replicas: '2' },
    });
    const cronTab = (i: number) => ({
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: `ct-${i}`, namespace: 'bench-cr', labels: { app: 'bench' } },
      spec: { cronSpec: '*/5 * * * *', image: 'registry.example.com/job:1', replicas: 2 },
    });
    const createAll = (path: string, body: (i: number) => object, from: number, n: number) =>
      inFlight(n, 64, async (i) => {
        const r = await call(agent, base, 'POST', path, body(from + i));
        if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.body}`);
      });

    // both paths warmed up first (JIT, connections, the watch caches), so that order does not decide
    await createAll('/api/v1/namespaces/bench-cm/configmaps', configMap, 0, warmUp);
    await createAll(crPath, cronTab, 0, warmUp);
    console.log(`\n== creates, 64 in flight (${creates} each)`);
    const cmRate = await createAll('/api/v1/namespaces/bench-cm/configmaps', configMap, warmUp, creates);
    const crRate = await createAll(crPath, cronTab, warmUp, creates);
    line('ConfigMap creates/s', cmRate.toFixed(0));
    line('CronTab (custom resource) creates/s', crRate.toFixed(0));
    line('ratio CronTab : ConfigMap creates', (crRate / cmRate).toFixed(2));

    await createAll('/api/v1/namespaces/bench-cm/configmaps', configMap, warmUp + creates, total - creates - warmUp);
    await createAll(crPath, cronTab, warmUp + creates, total - creates - warmUp);
    console.log(`\n== LIST ${total} (watch cache, consistent read), 10 times each`);
    const listTimes = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        const r = await call(agent, base, 'GET', path);
        times.push(performance.now() - t);
        const n = JSON.parse(r.body).items.length;
        if (n !== total) throw new Error(`listed ${n} of ${total}`);
      }
      return times;
    };
    const cmList = await listTimes('/api/v1/namespaces/bench-cm/configmaps');
    const crList = await listTimes(crPath);
    line(`LIST ${total} ConfigMaps p50 / p99`, `${ms(pct(cmList, 50))} / ${ms(pct(cmList, 99))}`);
    line(`LIST ${total} CronTabs p50 / p99`, `${ms(pct(crList, 50))} / ${ms(pct(crList, 99))}`);
    line('ratio CronTab : ConfigMap LIST p50', (pct(crList, 50) / pct(cmList, 50)).toFixed(2));
  } finally {
    agent.destroy();
    await api.stop();
    await etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
