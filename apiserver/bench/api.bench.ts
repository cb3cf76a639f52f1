// `make bench` figures for the API server (issue: foundation and API server; P1-P4 of the
// performance issue's table, recorded for the run's summary). Prints numbers, asserts nothing.
// Everything runs on this machine: etcd, the apiserver, and the load.
// Sizes (the issue's by default): SKIFF_BENCH_WRITES=3000 creates and puts for P1,
// SKIFF_BENCH_LIST_PODS=10000 pods for P3, SKIFF_BENCH_WATCHERS=1000 watchers and
// SKIFF_BENCH_WATCH_EVENTS=100 events each for P4; SKIFF_BENCH_WARMUP=1000 untimed writes on
// each side of P1 first.
import { execFileSync, spawn } from 'node:child_process';
import type http from 'node:http';
import https from 'node:https';
import { Etcd3 } from 'etcd3';
import { benchPhase, formatNumber, recordFigure, recordNotMeasured, startApiserver, startEtcd } from '@skiff/common/testing/index';
import type { ApiserverHandle } from '@skiff/common/testing/index';
import { grpcKv } from './lib/grpc-kv.ts';
import { agentFor, call, inFlight, line, ms, pct, podJson, wrk } from './lib/load.ts';

/** A hello-world in its own process: a fair neighbour for the apiserver process. */
function helloProcess(tls?: { certFile: string; keyFile: string }): Promise<{ url: string; kill(): void }> {
  const src = `
    const m = require('node:${tls ? 'https' : 'http'}'); const fs = require('node:fs');
    const h = (q, s) => { s.writeHead(200, {'Content-Type': 'text/plain'}); s.end('hello'); };
    const srv = ${tls ? `m.createServer({cert: fs.readFileSync(${JSON.stringify(tls.certFile)}), key: fs.readFileSync(${JSON.stringify(tls.keyFile)})}, h)` : 'm.createServer(h)'};
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) =>
    child.stdout.once('data', (b) => resolve({ url: `${tls ? 'https' : 'http'}://127.0.0.1:${String(b).trim()}/`, kill: () => child.kill('SIGTERM') })),
  );
}

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const WRITES = size('SKIFF_BENCH_WRITES', 3000);
const LIST_PODS = Math.max(WRITES, size('SKIFF_BENCH_LIST_PODS', 10_000));
const WATCHERS = size('SKIFF_BENCH_WATCHERS', 1000);
const WATCH_EVENTS = size('SKIFF_BENCH_WATCH_EVENTS', 100);
const WARMUP = size('SKIFF_BENCH_WARMUP', 1000);
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

async function main() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new Error('wrk is missing: scripts/bench.sh installs it');
  }
  const etcd = await startEtcd();
  const api = await startApiserver({ etcdUrl: etcd.url, extraArgs: ['--compaction-interval-seconds=0'] });
  const base = api.url;
  const agent = agentFor(api, 64);
  const raw = new Etcd3({ hosts: etcd.url });
  try {
    console.log('\n== apiserver request path');
    const plain = await helloProcess();
    const tlsHello = await helloProcess({ certFile: api.pki.serverCert, keyFile: api.pki.serverKey });
    const helloRps = wrk(plain.url);
    const helloTlsRps = wrk(tlsHello.url);
    plain.kill();
    tlsHello.kill();
    const versionRps = wrk(`${base}/version`);
    line('node:http hello-world requests/s', helloRps.toFixed(0));
    line('node:https hello-world requests/s (same TLS cert)', helloTlsRps.toFixed(0));
    line('apiserver GET /version (HTTPS) requests/s', versionRps.toFixed(0));
    line('ratio /version : node:https hello (not a figure: TLS on both)', (versionRps / helloTlsRps).toFixed(2));
    recordFigure({
      id: 'P2',
      value: versionRps,
      unit: 'requests/s',
      baseline: { name: 'node:http hello', value: helloRps, unit: 'requests/s' },
      conditions: 'wrk 2 threads, 32 connections, 5 s each; the apiserver over HTTPS',
    });

    console.log('\n== writes, 64 in flight');
    await call(agent, base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    // Each side warmed up first with the same number of untimed writes: a fresh client's (and
    // apiserver's) first few thousand calls run before the JIT has compiled them, and a cold
    // etcd3 client put at half its steady rate here, which made the ratio look better than it is.
    // (in a namespace of their own: P3 lists the namespace bench)
    await call(agent, base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-warmup' } });
    await inFlight(WARMUP, 64, async (i) => {
      const r = await call(agent, base, 'POST', '/api/v1/namespaces/bench-warmup/pods', podJson('bench-warmup', `warm-${i}`));
      if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.body}`);
    });
    const createRps = await benchPhase('P1 creates', () =>
      inFlight(WRITES, 64, async (i) => {
        const r = await call(agent, base, 'POST', '/api/v1/namespaces/bench/pods', podJson('bench', `w-${i}`));
        if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.body}`);
      }),
    );
    const sample = JSON.stringify({
      ...podJson('bench', 'x'),
      metadata: { ...podJson('bench', 'x').metadata, uid: '3f1c2a7e-0000-4000-8000-000000000000', creationTimestamp: new Date().toISOString() },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
    await inFlight(WARMUP, 64, (i) => raw.put(`/rawbench/pods/bench-warmup/warm-${i}`).value(sample).exec());
    const putRps = await inFlight(WRITES, 64, (i) => raw.put(`/rawbench/pods/bench/w-${i}`).value(sample).exec());
    // the same puts through grpc-js alone (the issue: is the etcd3 client the ceiling?)
    const kv = grpcKv(etcd.url);
    await inFlight(WARMUP, 64, (i) => kv.put(`/rawbench/pods/bench-warmup/g-${i}`, sample));
    const grpcPutRps = await inFlight(WRITES, 64, (i) => kv.put(`/rawbench/pods/bench-grpc/g-${i}`, sample));
    kv.close();
    // gone again before P3, whose LIST would otherwise filter them out of the whole cache
    const cleared = await call(agent, base, 'DELETE', '/api/v1/namespaces/bench-warmup/pods');
    if (cleared.status !== 200) throw new Error(`deleting the warm-up pods: ${cleared.status} ${cleared.body.slice(0, 200)}`);
    line('pod creates/s through the apiserver', createRps.toFixed(0));
    line('raw etcd puts/s (same JSON, etcd3 client, 64 in flight)', putRps.toFixed(0));
    line('raw etcd puts/s (same JSON, @grpc/grpc-js alone, 64 in flight)', grpcPutRps.toFixed(0));
    line('ratio grpc-js alone : etcd3 (not a figure)', (grpcPutRps / putRps).toFixed(2));
    recordFigure({
      id: 'P1',
      value: createRps,
      unit: 'creates/s',
      baseline: { name: 'raw etcd3 puts', value: putRps, unit: 'puts/s' },
      conditions: `${formatNumber(WRITES)} of each after ${formatNumber(WARMUP)} untimed, the same pod JSON`,
    });

    console.log('\n== reads');
    const getTimes: number[] = [];
    for (let i = 0; i < Math.min(1000, WRITES); i++) {
      const t = performance.now();
      await call(agent, base, 'GET', `/api/v1/namespaces/bench/pods/w-${i}`);
      getTimes.push(performance.now() - t);
    }
    line('GET pod p50 / p99', `${ms(pct(getTimes, 50))} / ${ms(pct(getTimes, 99))}`);
    await inFlight(LIST_PODS - WRITES, 64, async (i) => {
      const r = await call(agent, base, 'POST', '/api/v1/namespaces/bench/pods', podJson('bench', `l-${i}`));
      if (r.status !== 201) throw new Error(`create failed ${r.status}`);
    });
    /** p50 and p99 of `times` LISTs of the namespace's pods, and how many pods the last one held */
    const timeList = async (times: number, query: string, headers: Record<string, string> = {}) => {
      const took: number[] = [];
      let count = 0;
      for (let i = 0; i < times; i++) {
        const t = performance.now();
        const r = await call(agent, base, 'GET', `/api/v1/namespaces/bench/pods${query}`, undefined, headers);
        took.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`LIST failed ${r.status} ${r.body.slice(0, 200)}`);
        if (!r.contentType.startsWith(PROTOBUF)) count = JSON.parse(r.body).items.length;
      }
      return { p50: pct(took, 50), p99: pct(took, 99), count };
    };
    const list = await timeList(20, '');
    line(`LIST ${list.count} pods (watch cache, consistent) p50 / p99`, `${ms(list.p50)} / ${ms(list.p99)}`);
    const list0 = await timeList(10, '?resourceVersion=0');
    line(`LIST ${list0.count} pods resourceVersion=0 p50`, ms(list0.p50));
    const rangeTimes: number[] = [];
    let rangeCount = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      // pages of 1000 keys: the etcd3 client refuses responses over 4 MiB
      const prefix = Buffer.from(`${api.prefix}/registry/pods/bench/`);
      const rangeEnd = Buffer.from(`${api.prefix}/registry/pods/bench0`);
      let key = prefix;
      let n = 0;
      while (true) {
        const page = await raw.kv.range({ key, range_end: rangeEnd, limit: 1000 });
        for (const kv of page.kvs) JSON.parse(kv.value.toString());
        n += page.kvs.length;
        if (!page.more || page.kvs.length === 0) break;
        key = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
      }
      rangeCount = n;
      rangeTimes.push(performance.now() - t);
    }
    const rangeP50 = pct(rangeTimes, 50);
    line(`raw etcd range of ${rangeCount} keys (pages of 1000, each value parsed) p50`, ms(rangeP50));
    // both formats are divided by the same range: etcd holds JSON whatever the client asks for
    const recordList = (id: 'P3 JSON' | 'P3 protobuf', p50: number) =>
      recordFigure({
        id,
        value: p50,
        unit: 'ms',
        baseline: { name: `raw etcd range of the ${formatNumber(rangeCount)} keys`, value: rangeP50, unit: 'ms' },
        conditions: `${formatNumber(list.count)} pods, p50 of 20 LISTs vs p50 of 10 ranges`,
      });
    recordList('P3 JSON', list.p50);
    // The same LIST asking for protobuf; an apiserver that answered JSON instead is reported, not timed.
    const probe = await call(agent, base, 'GET', '/api/v1/namespaces/bench/pods?limit=1', undefined, { Accept: PROTOBUF });
    if (probe.contentType.startsWith(PROTOBUF)) {
      recordList('P3 protobuf', (await timeList(20, '', { Accept: PROTOBUF })).p50);
    } else {
      recordNotMeasured(
        'P3 protobuf',
        `asked for ${PROTOBUF}, the apiserver answered ${probe.contentType || 'no Content-Type'}: protobuf responses are not served yet`,
      );
    }

    console.log(`\n== watch delivery, ${WATCHERS} concurrent watchers, ${WATCH_EVENTS} events`);
    const apiLat = await apiserverWatchLatencies(api, agent);
    const etcdLat = await etcdWatchLatencies(raw, sample);
    line('watch delivery (write start -> event) p50 / p99, apiserver', `${ms(pct(apiLat, 50))} / ${ms(pct(apiLat, 99))}`);
    line('watch delivery p50 / p99, raw etcd watch', `${ms(pct(etcdLat, 50))} / ${ms(pct(etcdLat, 99))}`);
    recordFigure({
      id: 'P4',
      value: pct(apiLat, 99),
      unit: 'ms p99',
      baseline: { name: 'raw etcd watch', value: pct(etcdLat, 99), unit: 'ms p99' },
      conditions: `${formatNumber(WATCHERS)} watchers, ${WATCH_EVENTS} events, write start to event; apiserver watches over HTTPS, etcd's over plain gRPC`,
    });
  } finally {
    raw.close();
    agent.destroy();
    await api.stop();
    await etcd.stop();
  }
}

/**
 * Resolves `arrived(key, n)` once `n` deliveries of key were counted; keeps each delivery's time.
 * Waiters are woken by the count itself: polling would take CPU from the servers measured.
 */
function deliveries(timeoutMs = 30_000) {
  const at = new Map<string, number[]>();
  const waiting = new Map<string, { n: number; resolve: () => void }>();
  return {
    at,
    count(key: string, when: number) {
      const times = at.get(key) ?? [];
      times.push(when);
      at.set(key, times);
      const w = waiting.get(key);
      if (w && times.length >= w.n) {
        waiting.delete(key);
        w.resolve();
      }
    },
    arrived(key: string, n: number): Promise<void> {
      if ((at.get(key)?.length ?? 0) >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error(`${key}: ${at.get(key)?.length ?? 0} of ${n} deliveries after ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(key, {
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** WATCHERS watches of one namespace; per created pod, the time from the POST to each watcher's event. */
async function apiserverWatchLatencies(api: ApiserverHandle, agent: https.Agent): Promise<number[]> {
  const watchAgent = agentFor(api, WATCHERS);
  const seen = deliveries();
  const streams: http.ClientRequest[] = [];
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    for (let w = 0; w < WATCHERS; w++) {
      const req = https.request(`${api.url}/api/v1/namespaces/watchbench/pods?watch=true`, { agent: watchAgent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`watch ${w}: ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          const now = performance.now();
          buf += c;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const event = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            // a match, not JSON.parse: with 1,000 watchers the client's parsing would be timed too
            const name = /"type":"ADDED"/.test(event) ? /"name":"(wb-\d+)"/.exec(event)?.[1] : undefined;
            if (name) seen.count(name, now);
          }
        });
        if (++ready === WATCHERS) resolve();
      });
      req.on('error', reject);
      req.end();
      streams.push(req);
    }
  });
  try {
    await call(agent, api.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watchbench' } });
    await new Promise((r) => setTimeout(r, 500));
    const latencies: number[] = [];
    await benchPhase('P4 watch', async () => {
      for (let i = 0; i < WATCH_EVENTS; i++) {
        const name = `wb-${i}`;
        const t = performance.now();
        await call(agent, api.url, 'POST', '/api/v1/namespaces/watchbench/pods', podJson('watchbench', name));
        await seen.arrived(name, WATCHERS);
        for (const at of seen.at.get(name) ?? []) latencies.push(at - t);
      }
    });
    return latencies;
  } finally {
    for (const s of streams) s.destroy();
    watchAgent.destroy();
  }
}

/** The same with WATCHERS etcd watches of one prefix (etcd3 client) and raw puts of the same JSON. */
async function etcdWatchLatencies(raw: Etcd3, sample: string): Promise<number[]> {
  const seen = deliveries();
  const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => raw.watch().prefix('/rawwatch/').create()));
  try {
    for (const w of watchers) w.on('put', (kv) => seen.count(kv.key.toString(), performance.now()));
    const latencies: number[] = [];
    for (let i = 0; i < WATCH_EVENTS; i++) {
      const k = `/rawwatch/wb-${i}`;
      const t = performance.now();
      await raw.put(k).value(sample).exec();
      await seen.arrived(k, WATCHERS);
      for (const at of seen.at.get(k) ?? []) latencies.push(at - t);
    }
    return latencies;
  } finally {
    await Promise.all(watchers.map((w) => w.cancel()));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
