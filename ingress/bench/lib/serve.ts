// Bench helper processes: `serve.ts pod` is the pod (a small HTTP answer, as skiff/web's
// page), `serve.ts ingress PORT` the controller's data path routing bench.example to it.
// Each prints its port on stdout and runs until killed.
import http from 'node:http';
import type net from 'node:net';
import { createLogger } from '@skiff/common';
import { createIngressMetrics } from '../../src/metrics.ts';
import { IngressProxy } from '../../src/proxy.ts';
import { addPath, emptyTable } from '../../src/routes.ts';

const page = '<!doctype html>\n<html><body><h1>Hello from Skiff</h1><p>pod: bench</p></body></html>\n';
if (process.argv[2] === 'pod') {
  const s = http.createServer((_req, res) => res.end(page));
  s.keepAliveTimeout = 30_000;
  s.listen(0, '127.0.0.1', () => console.log((s.address() as net.AddressInfo).port));
} else {
  const table = emptyTable();
  addPath(table, 'bench.example', { path: '/', exact: false, backend: { name: 'bench/pod:80', endpoints: ['127.0.0.1'], port: Number(process.argv[3]) } });
  const proxy = new IngressProxy({
    log: createLogger('ingress-bench'),
    metrics: createIngressMetrics(),
    table: () => table,
    tlsContext: () => undefined,
    connectTimeoutMs: 2000,
  });
  const s = await proxy.listenHttp(0, '127.0.0.1');
  console.log((s.address() as net.AddressInfo).port);
}
