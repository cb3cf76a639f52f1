// Many kubelets' /metrics/resource in one light process, for the scrape bench: node i of N
// listens on its own port and runs the pods p-(i + k*N) of namespace `bench` (k = 0, 1, ...,
// below the pod count), one container `main` each, using 50m of CPU (a counter growing at that
// rate since the process started) and 32 MiB. The text is the kubelet's own
// (kubelet/src/stats/resource-metrics.ts), so what the metrics server decodes is what a real
// or hollow kubelet sends; only the kubelet's process, informers and authentication are left
// out, as they are not what the bench measures. Prints the ports, one JSON line, when listening.
//   node --conditions=source fake-kubelets.ts NODES PODS CERT KEY
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { resourceMetricsText } from '@skiff/kubelet/stats/resource-metrics';
import type { Summary } from '@skiff/kubelet/stats/summary';

const [nodes, pods] = [Number(process.argv[2]), Number(process.argv[3])];
const tls = { cert: readFileSync(process.argv[4]!), key: readFileSync(process.argv[5]!) };
const started = Date.now();
const startIso = new Date(started).toISOString();
const NANOCORES = 50_000_000;
const WORKING_SET = 32 * 1024 * 1024;

function summaryOf(node: number): Summary {
  const now = Date.now();
  const time = new Date(now).toISOString();
  const coreNs = Math.round((NANOCORES * (now - started)) / 1000);
  const podStats: Summary['pods'] = [];
  for (let i = node; i < pods; i += nodes) {
    const cpu = { time, usageNanoCores: NANOCORES, usageCoreNanoSeconds: coreNs };
    const memory = { time, workingSetBytes: WORKING_SET };
    podStats.push({
      podRef: { namespace: 'bench', name: `p-${i}`, uid: `uid-${i}` },
      startTime: startIso,
      containers: [{ name: 'main', startTime: startIso, cpu, memory }],
      cpu,
      memory,
    });
  }
  const count = podStats.length;
  return {
    node: {
      nodeName: `hollow-node-${node}`,
      startTime: startIso,
      cpu: { time, usageNanoCores: NANOCORES * count, usageCoreNanoSeconds: coreNs * count },
      memory: { time, workingSetBytes: WORKING_SET * count },
    },
    pods: podStats,
  };
}

const ports: number[] = [];
for (let n = 0; n < nodes; n++) {
  const server = https.createServer(tls, (req, res) => {
    if (req.url !== '/metrics/resource') {
      res.writeHead(404).end();
      return;
    }
    const body = resourceMetricsText(summaryOf(n));
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
