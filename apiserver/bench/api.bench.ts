// `make bench` figures for the API server (issue: foundation and API server). Prints numbers,
// asserts nothing. Everything runs on this machine: etcd, the apiserver, and the load.
import { execFileSync, spawn } from 'node:child_process';
import type http from 'node:http';
import https from 'node:https';
import { Etcd3 } from 'etcd3';
import { startApiserver, startEtcd } from '@skiff/common/testing/index';
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
    line('ratio /version : node:http hello (goal >= 0.5)', (versionRps / helloRps).toFixed(2));
    line('ratio /version : node:https hello', (versionRps / helloTlsRps).toFixed(2));

    console.log('\n== writes, 64 in flight');
    await call(agent, base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const createRps = await inFlight(3000, 64, async (i) => {
      const r = await call(agent, base, 'POST', '/api/v1/namespaces/bench/pods', podJson('bench', `w-${i}`));
      if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.body}`);
    });
    const sample = JSON.stringify({
      ...podJson('bench', 'x'),
      metadata: { ...podJson('bench', 'x').metadata, uid: '3f1c2a7e-0000-4000-8000-000000000000', creationTimestamp: new Date().toISOString() },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
    const putRps = await inFlight(3000, 64, (i) => raw.put(`/rawbench/pods/bench/w-${i}`).value(sample).exec());
    line('pod creates/s through the apiserver', createRps.toFixed(0));
    line('raw etcd puts/s (same JSON, etcd3 client, 64 in flight)', putRps.toFixed(0));
    line('ratio creates : puts (goal >= 0.5)', (createRps / putRps).toFixed(2));

    console.log('\n== reads');
    const getTimes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await call(agent, base, 'GET', `/api/v1/namespaces/bench/pods/w-${i}`);
      getTimes.push(performance.now() - t);
    }
    line('GET pod p50 / p99', `${ms(pct(getTimes, 50))} / ${ms(pct(getTimes, 99))}`);
    await inFlight(7000, 64, async (i) => {
      const r = await call(agent, base, 'POST', '/api/v1/namespaces/bench/pods', podJson('bench', `l-${i}`));
      if (r.status !== 201) throw new Error(`create failed ${r.status}`);
    });
    const listTimes: number[] = [];
    let count = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const r = await call(agent, base, 'GET', '/api/v1/namespaces/bench/pods');
      listTimes.push(performance.now() - t);
      count = JSON.parse(r.body).items.length;
    }
    line(`LIST ${count} pods (watch cache, consistent) p50 / p99`, `${ms(pct(listTimes, 50))} / ${ms(pct(listTimes, 99))}`);
    const list0: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await call(agent, base, 'GET', '/api/v1/namespaces/bench/pods?resourceVersion=0');
      list0.push(performance.now() - t);
    }
    line(`LIST ${count} pods resourceVersion=0 p50`, ms(pct(list0, 50)));
    const rangeTimes: number[] = [];
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
      count = n;
      rangeTimes.push(performance.now() - t);
      count = n;
    }
    line(`raw etcd range of ${count} keys (pages of 1000) p50`, ms(pct(rangeTimes, 50)));

    console.log('\n== watch delivery, 100 concurrent watchers');
    const watchAgent = agentFor(api, 200);
    const received = new Map<string, number[]>();
    const streams: http.ClientRequest[] = [];
    let ready = 0;
    await new Promise<void>((resolve) => {
      for (let w = 0; w < 100; w++) {
        const req = https.request(`${base}/api/v1/namespaces/watchbench/pods?watch=true`, { agent: watchAgent }, (res) => {
          let buf = '';
          res.on('data', (c) => {
            const now = performance.now();
            buf += c.toString();
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              const ev = JSON.parse(buf.slice(0, i));
              buf = buf.slice(i + 1);
              const name = ev.object?.metadata?.name;
              if (ev.type === 'ADDED' && name) {
                const a = received.get(name) ?? [];
                a.push(now);
                received.set(name, a);
              }
            }
          });
          if (++ready === 100) resolve();
        });
        req.end();
        streams.push(req);
      }
    });
    await call(agent, base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watchbench' } });
    await new Promise((r) => setTimeout(r, 500));
    const apiLat: number[] = [];
    for (let i = 0; i < 100; i++) {
      const name = `wb-${i}`;
      const t = performance.now();
      await call(agent, base, 'POST', '/api/v1/namespaces/watchbench/pods', podJson('watchbench', name));
      await waitUntil(() => (received.get(name)?.length ?? 0) >= 100, 5000);
      for (const at of received.get(name) ?? []) apiLat.push(at - t);
    }
    for (const s of streams) s.destroy();
    const etcdLat: number[] = [];
    const etcdRecv = new Map<string, number[]>();
    const watchers = await Promise.all(Array.from({ length: 100 }, () => raw.watch().prefix('/rawwatch/').create()));
    for (const w of watchers)
      w.on('put', (kv) => {
        const k = kv.key.toString();
        const a = etcdRecv.get(k) ?? [];
        a.push(performance.now());
        etcdRecv.set(k, a);
      });
    for (let i = 0; i < 100; i++) {
      const k = `/rawwatch/wb-${i}`;
      const t = performance.now();
      await raw.put(k).value(sample).exec();
      await waitUntil(() => (etcdRecv.get(k)?.length ?? 0) >= 100, 5000);
      for (const at of etcdRecv.get(k) ?? []) etcdLat.push(at - t);
    }
    await Promise.all(watchers.map((w) => w.cancel()));
    line('watch delivery (write start -> event) p50 / p99, apiserver', `${ms(pct(apiLat, 50))} / ${ms(pct(apiLat, 99))}`);
    line('watch delivery p50 / p99, raw etcd watch', `${ms(pct(etcdLat, 50))} / ${ms(pct(etcdLat, 99))}`);
    line('ratio p99 apiserver : etcd (goal <= 3)', (pct(apiLat, 99) / pct(etcdLat, 99)).toFixed(2));
  } finally {
    raw.close();
    agent.destroy();
    await api.stop();
    await etcd.stop();
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
