// The leak check: every sandbox and container in a worker's containerd (namespace k8s.io) must
// belong to a pod the apiserver says is bound to that node; none may still run for a pod that
// has finished; a pod has at most one running sandbox. Read with ctr, the node's own socket.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { HaLab } from '../lab/index.ts';
import type { ApiClient } from './api.ts';
import { json } from './api.ts';
import type { Leak } from './report.ts';

const POD_UID = 'io.kubernetes.pod.uid';
const KIND = 'io.cri-containerd.kind';

function ctr(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { timeout: 20_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`ctr ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

interface RuntimeObject {
  id: string;
  kind: 'sandbox' | 'container';
  podUid: string;
  running: boolean;
}

async function runtimeObjects(socket: string): Promise<RuntimeObject[]> {
  const ids = (await ctr(socket, ['containers', 'list', '-q'])).split('\n').filter(Boolean);
  const running = new Set(
    (await ctr(socket, ['tasks', 'list']))
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[2] === 'RUNNING')
      .map((f) => f[0]!),
  );
  const out: RuntimeObject[] = [];
  for (const id of ids) {
    let labels: Record<string, string> = {};
    try {
      labels = (JSON.parse(await ctr(socket, ['containers', 'info', id])) as { Labels?: Record<string, string> }).Labels ?? {};
    } catch {
      continue; // removed meanwhile
    }
    out.push({ id, kind: labels[KIND] === 'sandbox' ? 'sandbox' : 'container', podUid: labels[POD_UID] ?? '', running: running.has(id) });
  }
  return out;
}

/** the leaks on every worker now */
export async function findLeaks(lab: HaLab, api: ApiClient): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const w of lab.workers) {
    const pods = json<{ items: { metadata: { uid: string }; status?: { phase?: string } }[] }>(
      await api.any('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${w.name}`)}`),
    );
    if (!pods) throw new Error(`could not list the pods of ${w.name}`);
    const phase = new Map(pods.items.map((p) => [p.metadata.uid, p.status?.phase ?? '']));
    const objects = await runtimeObjects(join(lab.skiffDir, 'nodes', w.name, 'containerd', 'containerd.sock'));
    const runningSandboxes = new Map<string, number>();
    for (const o of objects) {
      const p = phase.get(o.podUid);
      const leak = (why: string) => leaks.push({ node: w.name, kind: o.kind, id: o.id, podUid: o.podUid, why });
      if (p === undefined) leak(`pod ${o.podUid || '(no uid label)'} is not bound to ${w.name}${o.running ? ', still running' : ''}`);
      else if (o.running && (p === 'Succeeded' || p === 'Failed')) leak(`running for a ${p} pod`);
      if (o.kind === 'sandbox' && o.running) runningSandboxes.set(o.podUid, (runningSandboxes.get(o.podUid) ?? 0) + 1);
    }
    for (const [uid, n] of runningSandboxes) {
      if (n > 1) leaks.push({ node: w.name, kind: 'sandbox', id: `${n} running`, podUid: uid, why: `${n} running sandboxes for one pod` });
    }
  }
  return leaks;
}

/** waits up to timeoutMs for the kubelets to clean up (deleted pods' grace periods); the leaks left then */
export async function leaksAfterSettling(lab: HaLab, api: ApiClient, timeoutMs: number): Promise<Leak[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaks = await findLeaks(lab, api);
    if (leaks.length === 0 || Date.now() > deadline) return leaks;
    await new Promise((r) => setTimeout(r, 5000));
  }
}
