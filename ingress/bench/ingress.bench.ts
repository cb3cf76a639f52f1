// `make bench`: requests/s through the ingress controller's data path next to requests/s
// straight to the one "pod" behind it, in one run, with wrk (2 threads, 16 connections, 5 s
// each). The pod and the controller are separate processes on this machine's loopback; the
// controller routes by Host as for an Ingress rule, with the same code it runs in the cluster
// (no apiserver: the routing table is given).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const helper = fileURLToPath(new URL('./lib/serve.ts', import.meta.url));

function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--conditions=source', helper, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
    child.stdout!.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

function wrk(url: string, host?: string): number {
  const out = execFileSync('wrk', ['-t2', '-c16', '-d5s', ...(host ? ['-H', `Host: ${host}`] : []), url], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`wrk printed no rate:\n${out}`);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) throw new Error(`wrk saw errors: ${errors[0]}`);
  return Number(m[1]);
}

const pod = await start(['pod']);
const ingress = await start(['ingress', String(pod.port)]);
try {
  const direct = wrk(`http://127.0.0.1:${pod.port}/`);
  const viaIngress = wrk(`http://127.0.0.1:${ingress.port}/`, 'bench.example');
  console.log(`requests/s straight to the pod:        ${direct.toFixed(0)}`);
  console.log(`requests/s through the ingress (Host):  ${viaIngress.toFixed(0)} (ratio ${(viaIngress / direct).toFixed(2)})`);
} finally {
  pod.child.kill('SIGTERM');
  ingress.child.kill('SIGTERM');
}
