// The metrics server's arithmetic without a cluster: decoding the kubelet's text, rates from
// the last two points, restarts, pods leaving a node, nodes failing a cycle.
import { expect } from 'chai';
import { decodeResourceMetrics, parseSample } from '../src/decode.ts';
import { MetricsStorage } from '../src/storage.ts';
import { goDuration, usageQuantities } from '../src/api.ts';

const T0 = 1_700_000_000_000;

/** What a kubelet serves at /metrics/resource (the shape kubelet/src/stats/resource-metrics.ts writes). */
function kubeletText(o: {
  at: number;
  nodeCpu: number;
  nodeMem: number;
  containers: { ns: string; pod: string; c: string; cpu: number; mem: number; start?: number }[];
}): string {
  const lines = [
    '# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds',
    '# TYPE node_cpu_usage_seconds_total counter',
    `node_cpu_usage_seconds_total ${o.nodeCpu} ${o.at}`,
    `node_memory_working_set_bytes ${o.nodeMem} ${o.at}`,
  ];
  for (const c of o.containers) {
    const l = `{container="${c.c}",namespace="${c.ns}",pod="${c.pod}"}`;
    lines.push(`container_cpu_usage_seconds_total${l} ${c.cpu} ${o.at}`, `container_memory_working_set_bytes${l} ${c.mem} ${o.at}`);
    if (c.start) lines.push(`container_start_time_seconds${l} ${c.start} ${o.at}`);
  }
  lines.push('scrape_error 0');
  return `${lines.join('\n')}\n`;
}

describe('metrics-server: decoding /metrics/resource', () => {
  it('reads names, escaped label values and timestamps', () => {
    expect(parseSample('container_cpu_usage_seconds_total{container="a",namespace="n\\"s",pod="p"} 1.5e+00 1700000000123')).to.deep.equal({
      name: 'container_cpu_usage_seconds_total',
      labels: { container: 'a', namespace: 'n"s', pod: 'p' },
      value: 1.5,
      timestampMs: 1700000000123,
    });
    expect(parseSample('# TYPE x counter')).to.equal(undefined);
    expect(parseSample('scrape_error 0')).to.deep.equal({ name: 'scrape_error', labels: {}, value: 0 });
  });

  it('groups containers by pod and drops a container with only one of its two figures', () => {
    const text = `${kubeletText({ at: T0, nodeCpu: 10, nodeMem: 1000, containers: [{ ns: 'a', pod: 'p', c: 'x', cpu: 1, mem: 5 }] })}container_cpu_usage_seconds_total{container="y",namespace="a",pod="p"} 3 ${T0}\n`;
    const s = decodeResourceMetrics(text, 0);
    expect(s.node).to.deep.equal({ cpuSeconds: 10, memoryBytes: 1000, timestampMs: T0 });
    expect([...s.pods.keys()]).to.deep.equal(['a/p']);
    expect([...s.pods.get('a/p')!.keys()]).to.deep.equal(['x']);
  });
});

describe('metrics-server: storage and rates', () => {
  const scrape = (at: number, nodeCpu: number, containers: Parameters<typeof kubeletText>[0]['containers']) =>
    decodeResourceMetrics(kubeletText({ at, nodeCpu, nodeMem: 2 ** 30, containers }), at);

  it('reports nothing after one point, the rate between the last two after the second', () => {
    const st = new MetricsStorage();
    st.store('n1', scrape(T0, 100, [{ ns: 'd', pod: 'web', c: 'app', cpu: 10, mem: 1000 }]));
    expect(st.nodeUsage('n1')).to.equal(undefined);
    expect(st.podUsage('d', 'web')).to.equal(undefined);
    st.store('n1', scrape(T0 + 15_000, 115, [{ ns: 'd', pod: 'web', c: 'app', cpu: 17.5, mem: 2000 }]));
    expect(st.nodeUsage('n1')).to.deep.equal({ cpu: 1e9, memory: 2 ** 30, timestampMs: T0 + 15_000, windowMs: 15_000 });
    const pod = st.podUsage('d', 'web')!;
    expect(pod.containers).to.deep.equal([{ name: 'app', usage: { cpu: 0.5e9, memory: 2000, timestampMs: T0 + 15_000, windowMs: 15_000 } }]);
    // a third point: the rate is over the last two only
    st.store('n1', scrape(T0 + 30_000, 130, [{ ns: 'd', pod: 'web', c: 'app', cpu: 17.5, mem: 2000 }]));
    expect(st.podUsage('d', 'web')!.containers[0]!.usage.cpu).to.equal(0);
  });

  it('keeps the older point when the kubelet serves the same sample again', () => {
    const st = new MetricsStorage();
    st.store('n1', scrape(T0, 100, []));
    st.store('n1', scrape(T0 + 10_000, 102, []));
    st.store('n1', scrape(T0 + 10_000, 102, []));
    expect(st.nodeUsage('n1')).to.include({ cpu: 0.2e9, windowMs: 10_000 });
  });

  it('starts a series over when the counter goes back or the container start time changes (a restart)', () => {
    const st = new MetricsStorage();
    st.store('n1', scrape(T0, 1, [{ ns: 'd', pod: 'p', c: 'c', cpu: 50, mem: 1, start: 1000 }]));
    st.store('n1', scrape(T0 + 10_000, 2, [{ ns: 'd', pod: 'p', c: 'c', cpu: 1, mem: 1, start: 1000 }]));
    expect(st.podUsage('d', 'p')).to.equal(undefined);
    st.store('n1', scrape(T0 + 20_000, 3, [{ ns: 'd', pod: 'p', c: 'c', cpu: 3, mem: 1, start: 1000 }]));
    expect(st.podUsage('d', 'p')!.containers[0]!.usage.cpu).to.equal(0.2e9);
    st.store('n1', scrape(T0 + 30_000, 4, [{ ns: 'd', pod: 'p', c: 'c', cpu: 5, mem: 1, start: 2000 }]));
    expect(st.podUsage('d', 'p'), 'a new start time').to.equal(undefined);
  });

  it('reports a pod only when every container has a rate', () => {
    const st = new MetricsStorage();
    st.store('n1', scrape(T0, 1, [{ ns: 'd', pod: 'p', c: 'a', cpu: 1, mem: 1 }]));
    st.store(
      'n1',
      scrape(T0 + 10_000, 2, [
        { ns: 'd', pod: 'p', c: 'a', cpu: 2, mem: 1 },
        { ns: 'd', pod: 'p', c: 'b', cpu: 1, mem: 1 },
      ]),
    );
    expect(st.podUsage('d', 'p')).to.equal(undefined);
    st.store(
      'n1',
      scrape(T0 + 20_000, 3, [
        { ns: 'd', pod: 'p', c: 'a', cpu: 3, mem: 1 },
        { ns: 'd', pod: 'p', c: 'b', cpu: 2, mem: 1 },
      ]),
    );
    expect(st.podUsage('d', 'p')!.containers.map((c) => c.name)).to.deep.equal(['a', 'b']);
  });

  it('forgets pods that left a node, and nodes that failed a cycle; lists by namespace', () => {
    const st = new MetricsStorage();
    for (const at of [T0, T0 + 10_000]) {
      st.store('n1', scrape(at, at / 1e4, [{ ns: 'a', pod: 'p1', c: 'c', cpu: at / 1e4, mem: 1 }]));
      st.store('n2', scrape(at, at / 1e4, [{ ns: 'b', pod: 'p2', c: 'c', cpu: at / 1e4, mem: 1 }]));
    }
    expect(
      st
        .pods()
        .map((p) => p.name)
        .sort(),
    ).to.deep.equal(['p1', 'p2']);
    expect(st.pods('b').map((p) => p.name)).to.deep.equal(['p2']);
    st.store('n1', scrape(T0 + 20_000, 3, []));
    expect(st.podUsage('a', 'p1')).to.equal(undefined);
    st.retainNodes(new Set(['n1']));
    expect(st.nodeUsage('n2')).to.equal(undefined);
    expect(st.pods()).to.deep.equal([]);
    expect(st.podCount).to.equal(0);
  });
});

describe('metrics-server: wire formats', () => {
  it('writes quantities as metrics-server does (nanocores, BinarySI bytes)', () => {
    const q = (cpu: number, memory: number) => usageQuantities({ cpu, memory, timestampMs: 0, windowMs: 0 });
    expect(q(1e9, 1024 * 1024)).to.deep.equal({ cpu: '1', memory: '1Mi' });
    // under 1Ki a BinarySI quantity prints as DecimalSI, as resource.Quantity does
    expect(q(250e6, 1000)).to.deep.equal({ cpu: '250m', memory: '1k' });
    expect(q(1, 1025)).to.deep.equal({ cpu: '1n', memory: '1025' });
    expect(q(123456789, 33554432)).to.deep.equal({ cpu: '123456789n', memory: '32Mi' });
  });

  it('writes windows as Go durations', () => {
    expect(goDuration(15_000)).to.equal('15s');
    expect(goDuration(15_012)).to.equal('15.012s');
    expect(goDuration(90_500)).to.equal('1m30.5s');
    expect(goDuration(0)).to.equal('0s');
  });
});
