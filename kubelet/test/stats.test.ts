// The kubelet's usage arithmetic without containers: cgroup v1 and v2 files (in a temporary
// tree laid out as /sys/fs/cgroup), /proc figures, CPU rates, the synthetic usage of hollow
// nodes, and the /metrics/resource text.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { cgroupVersion, readCgroup } from '../src/stats/cgroup.ts';
import { CpuRates } from '../src/stats/cpu-rates.ts';
import { parseMeminfo, parseProcStatCpu } from '../src/stats/node-usage.ts';
import { resourceMetricsText } from '../src/stats/resource-metrics.ts';
import { SyntheticStatsProvider } from '../src/stats/synthetic-stats.ts';

describe('kubelet stats: cgroup files', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'skiff-cgroup-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('reads v1: cpuacct.usage, usage_in_bytes less total_inactive_file, total_rss', () => {
    write('cpuacct/k8s.io/abc/cpuacct.usage', '123456789\n');
    write('memory/k8s.io/abc/memory.usage_in_bytes', '10485760\n');
    write('memory/k8s.io/abc/memory.stat', 'cache 4096\nrss 2000\ninactive_file 1\ntotal_rss 3145728\ntotal_inactive_file 2097152\n');
    expect(cgroupVersion(root)).to.equal(1);
    expect(readCgroup('/k8s.io/abc', root)).to.deep.equal({
      cpuUsageCoreNanoSeconds: 123456789,
      memoryUsageBytes: 10485760,
      memoryWorkingSetBytes: 10485760 - 2097152,
      memoryRssBytes: 3145728,
    });
    expect(readCgroup('/k8s.io/gone', root), 'a container that is gone').to.equal(undefined);
  });

  it('reads v2: cpu.stat usage_usec, memory.current less inactive_file, anon; never a negative working set', () => {
    write('cgroup.controllers', 'cpu memory\n');
    write('k8s.io/abc/cpu.stat', 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n');
    write('k8s.io/abc/memory.current', '4096\n');
    write('k8s.io/abc/memory.stat', 'anon 1024\nfile 3072\ninactive_file 8192\n');
    expect(cgroupVersion(root)).to.equal(2);
    expect(readCgroup('/k8s.io/abc', root)).to.deep.equal({
      cpuUsageCoreNanoSeconds: 2.5e9,
      memoryUsageBytes: 4096,
      memoryWorkingSetBytes: 0,
      memoryRssBytes: 1024,
    });
  });
});

describe('kubelet stats: /proc and rates', () => {
  it('counts non-idle jiffies of /proc/stat as CPU time', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    expect(parseProcStatCpu('cpu  100 5 50 9999 77 3 2 1 40 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n')).to.equal((100 + 5 + 50 + 3 + 2 + 1) * 1e7);
  });

  it('reads /proc/meminfo in bytes', () => {
    const m = parseMeminfo('MemTotal:       16000 kB\nMemFree:         4000 kB\nInactive(file):  1000 kB\nHugePages_Total:       0\n');
    expect(m.get('MemTotal')).to.equal(16000 * 1024);
    expect(m.get('Inactive(file)')).to.equal(1000 * 1024);
    expect(m.get('HugePages_Total')).to.equal(0);
  });

  it('gives a rate from the second sample on, and starts over when a counter goes back', () => {
    const r = new CpuRates();
    expect(r.rate('c', 1e9, 1000)).to.equal(undefined);
    expect(r.rate('c', 1.5e9, 2000)).to.equal(0.5e9);
    expect(r.rate('c', 1.5e9, 2000), 'the same instant').to.equal(undefined);
    expect(r.rate('c', 0.1e9, 3000), 'restarted').to.equal(undefined);
    expect(r.rate('c', 0.35e9, 3500)).to.equal(0.5e9);
    r.retain(new Set());
    expect(r.rate('c', 1e9, 4000), 'forgotten').to.equal(undefined);
  });
});

describe('kubelet stats: hollow nodes and the resource metrics text', () => {
  const started = '2026-01-01T00:00:00Z';
  const pod = (name: string, phase: string, containers: { name: string; cpu?: string; memory?: string; running?: boolean }[]): V1Pod =>
    ({
      metadata: { name, namespace: 'ns', uid: `uid-${name}` },
      spec: {
        containers: containers.map((c) => ({
          name: c.name,
          resources: { requests: { ...(c.cpu ? { cpu: c.cpu } : {}), ...(c.memory ? { memory: c.memory } : {}) } },
        })),
      },
      status: {
        phase,
        startTime: started,
        containerStatuses: containers.map((c) => ({ name: c.name, state: c.running === false ? { waiting: {} } : { running: { startedAt: started } } })),
      },
    }) as unknown as V1Pod;

  it('reports requests x factor for running containers, cumulative CPU since each started, the node as the sum', async () => {
    const now = Date.parse(started) + 100_000;
    const p = new SyntheticStatsProvider({
      nodeName: 'h',
      startTime: started,
      factor: 0.5,
      now: () => now,
      pods: () => [
        pod('a', 'Running', [
          { name: 'x', cpu: '200m', memory: '64Mi' },
          { name: 'y', cpu: '1', memory: '1Gi', running: false },
        ]),
        pod('b', 'Pending', [{ name: 'z', cpu: '1' }]),
        pod('c', 'Running', [{ name: 'w' }]),
      ],
    });
    const s = await p.summary();
    expect(s.pods.map((x) => x.podRef.name)).to.deep.equal(['a', 'c']);
    expect(s.pods[0]!.containers).to.have.length(1);
    expect(s.pods[0]!.containers[0]!.cpu).to.deep.include({ usageNanoCores: 100e6, usageCoreNanoSeconds: 100e6 * 100 });
    expect(s.pods[0]!.containers[0]!.memory?.workingSetBytes).to.equal(32 * 2 ** 20);
    expect(s.pods[1]!.cpu?.usageNanoCores, 'no requests, no usage').to.equal(0);
    expect(s.node.cpu?.usageNanoCores).to.equal(100e6);
    expect(s.node.memory?.workingSetBytes).to.equal(32 * 2 ** 20);

    const text = resourceMetricsText(s);
    expect(text).to.contain(`container_cpu_usage_seconds_total{container="x",namespace="ns",pod="a"} 10 ${now}\n`);
    expect(text).to.contain(`container_memory_working_set_bytes{container="x",namespace="ns",pod="a"} ${32 * 2 ** 20} ${now}\n`);
    expect(text).to.contain(`container_start_time_seconds{container="x",namespace="ns",pod="a"} ${Date.parse(started) / 1000} ${now}\n`);
    expect(text).to.contain(`pod_cpu_usage_seconds_total{namespace="ns",pod="a"} 10 ${now}\n`);
    expect(text).to.contain(`node_cpu_usage_seconds_total 10 ${now}\n`);
    expect(text).to.contain('scrape_error 0\n');
  });

  it('says scrape_error 1 when there is no summary, and escapes label values', () => {
    expect(resourceMetricsText(undefined)).to.contain('scrape_error 1\n');
    const text = resourceMetricsText({
      node: { nodeName: 'n', startTime: '' },
      pods: [{ podRef: { name: 'p"q', namespace: 'n\\s', uid: 'u' }, containers: [{ name: 'c', memory: { time: started, workingSetBytes: 5 } }] }],
    });
    expect(text).to.contain(`container_memory_working_set_bytes{container="c",namespace="n\\\\s",pod="p\\"q"} 5 ${Date.parse(started)}\n`);
    expect(text).not.to.contain('container_cpu_usage_seconds_total{');
  });
});
