// The lab end to end, driven by the real kubectl 1.32: a control plane of its own on free
// ports (a `make up` cluster is not touched), three worker "VMs" (network namespaces with
// their own containerd, kubelet and proxy, joined through scripts/node/join.sh), torn down
// completely afterwards, also when a test fails.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER } from '@skiff/common/bootstrap/csr';
import { kubectlBinary, repoRoot, runKubectl, waitFor } from '@skiff/common/testing/index';
import { hostAddress, httpGet, SHARED_LAB_KUBECTL, SHARED_LAB_WORKERS, servingPod, sharedLab, startLoad, stopSharedLab } from '../src/lab/index.ts';
import type { Lab, LoadReport } from '../src/lab/index.ts';
import { list, nodePortService, webDeployment } from '../src/web-workloads.ts';

interface PodInfo {
  name: string;
  node: string;
  ready: boolean;
  deleting: boolean;
  phase: string;
}

const KUBECTL = SHARED_LAB_KUBECTL;
const WORKERS = SHARED_LAB_WORKERS;

describe('the lab: 3 worker VMs driven by kubectl 1.32', function () {
  this.timeout(600_000);
  let lab: Lab;

  const k = async (args: string[], stdin?: string, timeoutMs = 60_000): Promise<string> => {
    const r = await lab.kubectl(args, stdin === undefined ? { timeoutMs } : { stdin, timeoutMs });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const pods = async (selector: string): Promise<PodInfo[]> => {
    const out = JSON.parse(await k(['get', 'pods', '-l', selector, '-o', 'json'])) as {
      items: {
        metadata: { name: string; deletionTimestamp?: string };
        spec: { nodeName?: string };
        status: { phase?: string; conditions?: { type: string; status: string }[] };
      }[];
    };
    return out.items.map((p) => ({
      name: p.metadata.name,
      node: p.spec.nodeName ?? '',
      phase: p.status.phase ?? '',
      deleting: !!p.metadata.deletionTimestamp,
      ready: !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    }));
  };
  const serving = async (selector: string, count: number, timeoutMs = 90_000) => {
    try {
      return await waitFor(
        `${count} ready pods ${selector}`,
        async () => {
          const ready = (await pods(selector)).filter((p) => p.ready && !p.deleting);
          return ready.length === count && ready;
        },
        timeoutMs,
      );
    } catch (e) {
      // what the pods look like tells which component fell behind
      const wide = await lab.kubectl(['get', 'pods', '-o', 'wide', '-l', selector]);
      throw new Error(`${(e as Error).message}\n${wide.stdout}${wide.stderr}`);
    }
  };
  const nodePortUrls = (port: number, workers = lab.workers) => workers.map((w) => `http://${w.address}:${port}/`);

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // namespaces, links and iptables need root
    lab = await sharedLab();
    process.stdout.write(`      lab: ${WORKERS} workers Ready ${(lab.readyAfterMs / 1000).toFixed(1)} s after start from nothing\n`);
  });
  // the last user of the shared lab (lab-*.test.ts files run before this one); its last cases kill and remove workers
  after(stopSharedLab);

  it('(8) comes up from nothing: every worker Ready, addresses on the lab bridge', async () => {
    const nodes = JSON.parse(await k(['get', 'nodes', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] } }[];
    };
    const byName = new Map(nodes.items.map((n) => [n.metadata.name, n]));
    for (const w of lab.workers) {
      const n = byName.get(w.name);
      expect(n, w.name).to.not.equal(undefined);
      expect(n!.status.conditions.find((c) => c.type === 'Ready')?.status).to.equal('True');
      expect(n!.status.addresses.find((a) => a.type === 'InternalIP')?.address).to.equal(w.address);
    }
    expect(lab.readyAfterMs).to.be.greaterThan(0);
  });

  it('(1) a web Deployment spreads over the three workers; the NodePort answers on every worker', async () => {
    await k(
      ['apply', '-f', '-'],
      list(webDeployment({ name: 'web', replicas: 3, labels: { app: 'web' }, spread: true }), nodePortService('web', { app: 'web' }, 30080)),
    );
    const ready = await serving('app=web', 3);
    expect(new Set(ready.map((p) => p.node))).to.deep.equal(new Set(lab.workers.map((w) => w.name)));
    const wide = await k(['get', 'pods', '-o', 'wide', '-l', 'app=web']);
    for (const w of lab.workers) expect(wide).to.include(w.name);
    for (const url of nodePortUrls(30080)) {
      const r = await waitFor(
        `the NodePort on ${url}`,
        async () => {
          const x = await httpGet(url);
          return x.ok && x;
        },
        30_000,
      );
      expect(r.body).to.include('Hello from Skiff');
    }
  });

  it('(top) kubectl top nodes and pods: the metrics server scrapes every worker (issue 18)', async () => {
    // two scrapes 15 s apart make the first CPU rates
    const nodes = await waitFor(
      'kubectl top nodes listing every worker',
      async () => {
        const r = await lab.kubectl(['top', 'nodes']);
        // a node without metrics yet is listed with <unknown>
        return r.code === 0 && lab.workers.every((w) => new RegExp(`^${w.name}\\s+\\d+m?\\s+`, 'm').test(r.stdout)) && r.stdout;
      },
      90_000,
    );
    expect(nodes.split('\n')[0]).to.match(/^NAME\s+CPU\(cores\)/);
    const pods = await waitFor(
      'kubectl top pods of the web Deployment',
      async () => {
        const r = await lab.kubectl(['top', 'pods', '-l', 'app=web']);
        return r.code === 0 && r.stdout.trim().split('\n').length === 4 && r.stdout;
      },
      90_000,
    );
    expect(pods.split('\n')[0]).to.match(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
  });

  it('(2) a rolling update under continuous load fails no request', async () => {
    let loadReport: LoadReport | undefined;
    const before = new Set((await pods('app=web')).map((p) => p.name));
    const load = startLoad(nodePortUrls(30080));
    let after: PodInfo[];
    const started = Date.now();
    try {
      await new Promise((r) => setTimeout(r, 2000));
      await k(['set', 'env', 'deployment/web', 'RELEASE=2']);
      await k(['rollout', 'status', 'deployment/web', '--timeout=200s'], undefined, 210_000);
      after = await serving('app=web', 3);
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      const report = await load.stop();
      process.stdout.write(
        `      rollout under load: ${report.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ${report.failures.length} failed\n`,
      );
      loadReport = report;
    }
    const report = loadReport;
    expect(
      after.every((p) => !before.has(p.name)),
      'every pod replaced',
    ).to.equal(true);
    if (!report) throw new Error('no load report');
    expect(report.requests).to.be.greaterThan(100);
    expect(report.failures, `${report.failures.length} of ${report.requests} failed`).to.deep.equal([]);
  });

  it('(3a) blue/green: after the selector switch every request is served by green', async () => {
    await k(
      ['apply', '-f', '-'],
      list(
        webDeployment({ name: 'blue', replicas: 2, labels: { app: 'bg', color: 'blue' } }),
        webDeployment({ name: 'green', replicas: 2, labels: { app: 'bg', color: 'green' } }),
        nodePortService('bg', { app: 'bg', color: 'blue' }, 30081),
      ),
    );
    await serving('app=bg,color=blue', 2);
    await serving('app=bg,color=green', 2);
    const urls = nodePortUrls(30081);
    await waitFor('blue answers', async () => (await httpGet(urls[0]!)).ok);
    for (let i = 0; i < 30; i++) expect(servingPod((await httpGet(urls[i % urls.length]!)).body)).to.match(/^blue-/);
    await k(['patch', 'service', 'bg', '-p', JSON.stringify({ spec: { selector: { app: 'bg', color: 'green' } } })]);
    // the switch has reached the nodes once green answers on each of them
    for (const url of urls) await waitFor(`green on ${url}`, async () => /^green-/.test(servingPod((await httpGet(url)).body) ?? ''), 20_000, 100);
    const seen: string[] = [];
    for (let i = 0; i < 90; i++) {
      const r = await httpGet(urls[i % urls.length]!);
      expect(r.ok, r.error).to.equal(true);
      seen.push(servingPod(r.body) ?? '?');
    }
    expect(seen.filter((p) => !p.startsWith('green-'))).to.deep.equal([]);
    await k(['delete', 'deployment', 'blue', 'green']);
    await k(['delete', 'service', 'bg']);
  });

  it('(3b) canary: 4 stable + 1 canary behind one Service get about 20% of 500 requests', async () => {
    await k(
      ['apply', '-f', '-'],
      list(
        webDeployment({ name: 'stable', replicas: 4, labels: { app: 'cn', track: 'stable' } }),
        webDeployment({ name: 'canary', replicas: 1, labels: { app: 'cn', track: 'canary' } }),
        nodePortService('cn', { app: 'cn' }, 30082),
      ),
    );
    await serving('app=cn', 5);
    const urls = nodePortUrls(30082);
    for (const url of urls)
      await waitFor(
        `5 endpoints behind ${url}`,
        async () => {
          const seen = new Set<string>();
          for (let i = 0; i < 40; i++) seen.add(servingPod((await httpGet(url)).body) ?? '?');
          return seen.size === 5;
        },
        30_000,
      );
    let canary = 0;
    for (let i = 0; i < 500; i++) {
      const r = await httpGet(urls[i % urls.length]!);
      expect(r.ok, r.error).to.equal(true);
      if (servingPod(r.body)?.startsWith('canary-')) canary++;
    }
    process.stdout.write(`      canary share: ${canary}/500 = ${(canary / 5).toFixed(1)}%\n`);
    expect(canary / 500).to.be.within(0.1, 0.3);
    await k(['delete', 'deployment', 'stable', 'canary']);
    await k(['delete', 'service', 'cn']);
  });

  it('(5) cordon and drain (eviction) move pods off a worker', async () => {
    await k(['apply', '-f', '-'], list(webDeployment({ name: 'mover', replicas: 4, labels: { app: 'mover' } })));
    await serving('app=mover', 4);
    // a budget that allows one disruption at a time: drain evicts, gets 429s, waits, and finishes
    await k(['create', 'poddisruptionbudget', 'mover', '--selector=app=mover', '--min-available=3']);
    await waitFor(
      'the budget allows one disruption',
      async () => (await k(['get', 'pdb', 'mover', '-o', 'jsonpath={.status.disruptionsAllowed}'])).trim() === '1',
    );
    const target = lab.workers[1]!.name;
    await k(['cordon', target]);
    const node = JSON.parse(await k(['get', 'node', target, '-o', 'json'])) as { spec: { unschedulable?: boolean } };
    expect(node.spec.unschedulable).to.equal(true);
    const drained = await k(['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s']);
    expect(drained).to.match(/evicted|drained/);
    const moved = await serving('app=mover', 4);
    expect(moved.map((p) => p.node)).to.not.include(target);
    await k(['delete', 'pdb', 'mover']);
    await waitFor(
      `no pods left on ${target}`,
      async () => {
        const all = JSON.parse(await k(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${target}`, '-o', 'json'])) as { items: unknown[] };
        return all.items.length === 0;
      },
      60_000,
    );
    await k(['uncordon', target]);
    // web's one-per-node pod comes back to the uncordoned worker
    await serving('app=web', 3, 120_000);
  });

  it('(6) kubectl run -i --tty --image=busybox through a pty: wget http://web from inside, pod gone afterwards', async () => {
    // the short Docker Hub name, offline: each worker's containerd mirrors docker.io to the lab registry
    const cmd = `${kubectlBinary(KUBECTL)} --kubeconfig ${lab.kubeconfig} run -i --tty debug --image=busybox --rm --restart=Never -- sh`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile('script', ['-qfc', cmd, '/dev/null'], { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
      // the shell reads once attached; the sleep keeps our lines from racing the attach
      child.stdin!.end('sleep 3\nwget -qO- http://web\nexit\n');
    });
    expect(out).to.include('Hello from Skiff');
    await waitFor(
      'pod debug deleted',
      async () => {
        const r = await lab.kubectl(['get', 'pod', 'debug']);
        return r.code !== 0 && /NotFound|not found/.test(r.stderr);
      },
      30_000,
    );
  });

  it('(6b) --image=docker.io/library/busybox:latest reaches Running on a worker, offline (issue 24)', async () => {
    await k(['run', 'full-name', '--image=docker.io/library/busybox:latest', '--restart=Never', '--', 'sleep', '3600']);
    try {
      const waited = await lab.kubectl(['wait', '--for=condition=Ready', 'pod/full-name', '--timeout=90s'], { timeoutMs: 100_000 });
      const why = waited.code === 0 ? '' : (await lab.kubectl(['describe', 'pod', 'full-name'])).stdout;
      expect(waited.code, `${waited.stderr}\n${why}`).to.equal(0);
      const node = (await k(['get', 'pod', 'full-name', '-o', 'jsonpath={.spec.nodeName}'])).trim();
      expect(lab.workers.map((w) => w.name)).to.include(node);
    } finally {
      await lab.kubectl(['delete', 'pod', 'full-name', '--now', '--wait=false']);
    }
  });

  it('(7) an unauthenticated request to the apiserver gets 401, a wrong bearer token too', async () => {
    const call = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        // from the address the workers use; the serving certificate names it
        const req = httpsRequest(
          `https://${hostAddress(lab.layout)}:${lab.controlPlane.port}/api/v1/namespaces`,
          {
            ca: readFileSync(lab.controlPlane.pki.caCert),
            headers,
            timeout: 5000,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await call({})).to.equal(401);
    expect(await call({ authorization: 'Bearer abcdef.0123456789abcdef' })).to.equal(401);
  });

  it('(7b) the workers joined by TLS bootstrap; a worker with a wrong bootstrap token cannot join', async () => {
    interface Csr {
      metadata: { name: string };
      spec: { signerName: string; username: string };
      status: { certificate?: string; conditions?: { type: string }[] };
    }
    const csrs = async () => (JSON.parse(await k(['get', 'csr', '-o', 'json'])) as { items: Csr[] }).items;
    const before = await csrs();
    // each client certificate was asked for with the bootstrap token, each serving one by the node itself
    const signed = (signer: string, user: (u: string) => boolean) =>
      before.filter(
        (c) => c.spec.signerName === signer && user(c.spec.username) && c.status.conditions?.some((x) => x.type === 'Approved') && c.status.certificate,
      );
    expect(signed('kubernetes.io/kube-apiserver-client-kubelet', (u) => u.startsWith('system:bootstrap:'))).to.have.length(lab.workers.length);
    for (const w of lab.workers) {
      expect(
        signed('kubernetes.io/kubelet-serving', (u) => u === `system:node:${w.name}`),
        `serving CSR of ${w.name}`,
      ).to.have.length(1);
    }

    const intruder = lab.layout.prefix + String(lab.workers.length + 1);
    try {
      const r = await lab.joinWorker(lab.workers.length + 1, { token: 'abcdef.0123456789abcdef' });
      expect(r.code, r.output).to.not.equal(0);
      expect(r.output).to.match(/could not join/);
      expect(r.output).to.match(/bootstrap token was refused.*401/);
      const node = await lab.kubectl(['get', 'node', intruder]);
      expect(node.code).to.not.equal(0);
      expect(node.stderr).to.match(/NotFound|not found/);
      expect((await csrs()).length, 'no CSR from the refused token').to.equal(before.length);
    } finally {
      await lab.removeWorker(intruder);
    }
  });

  it('(9) data that survives (issue 15): a claim follows its pod on one worker; drained, the pod waits Pending; uncordoned, it reads its file', async () => {
    // the lab's control plane, like make up, made the default class from scripts/bootstrap
    expect(await k(['get', 'storageclass'])).to.match(/local-path \(default\)\s+skiff.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
    await k(['apply', '-f', join(repoRoot(), 'manifests', '09-data-that-survives.yaml')]);
    const [first] = await serving('app=notebook', 1, 120_000);
    const note = (await k(['exec', first!.name, '--', 'cat', '/data/note'])).trim();
    expect(note).to.not.equal('');
    // Ready means the container started, not that its shell has written its first line yet: the
    // log is read until the line is there, as a user would run kubectl logs again
    const noteFound = (pod: string, text: string) =>
      waitFor(`${pod} logs "found the note of ${text}"`, async () => (await k(['logs', pod])).includes(`found the note of ${text}`), 30_000);
    const claim = JSON.parse(await k(['get', 'pvc', 'notebook-data', '-o', 'json']));
    expect(claim.status.phase).to.equal('Bound');
    expect(claim.metadata.annotations['volume.kubernetes.io/selected-node']).to.equal(first!.node);
    const volume = JSON.parse(await k(['get', 'pv', claim.spec.volumeName, '-o', 'json']));
    expect(volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).to.deep.equal([first!.node]);

    // a new pod of the Deployment lands on the volume's worker and finds the note
    await k(['delete', 'pod', first!.name]);
    const [second] = await serving('app=notebook', 1, 120_000);
    expect(second!.name).to.not.equal(first!.name);
    expect(second!.node).to.equal(first!.node);
    await noteFound(second!.name, note);

    // local volumes do not move: drained, the replacement stays Pending with the scheduler's reason
    await k(['drain', first!.node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s']);
    const pending = await waitFor(
      'a Pending notebook pod with the volume node affinity reason',
      async () => {
        const out = JSON.parse(await k(['get', 'pods', '-l', 'app=notebook', '-o', 'json'])) as {
          items: {
            metadata: { name: string; deletionTimestamp?: string };
            status: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
          }[];
        };
        const p = out.items.find((i) => !i.metadata.deletionTimestamp && i.status.phase === 'Pending');
        const scheduled = p?.status.conditions?.find((c) => c.type === 'PodScheduled');
        return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && /volume node affinity conflict/.test(scheduled.message ?? '') && p;
      },
      60_000,
    );
    const events = await k(['get', 'events', '--field-selector', `involvedObject.name=${pending.metadata.name}`]);
    expect(events).to.match(/FailedScheduling.*node\(s\) had volume node affinity conflict/);
    expect(events).to.match(/node\(s\) were unschedulable/);

    await k(['uncordon', first!.node]);
    const [third] = await serving('app=notebook', 1, 120_000);
    expect(third!.node).to.equal(first!.node);
    await noteFound(third!.name, note);

    // reclaim policy Delete: removing the claim removes its volume
    await k(['delete', '-f', join(repoRoot(), 'manifests', '09-data-that-survives.yaml'), '--wait=true']);
    await waitFor(`volume ${volume.metadata.name} deleted`, async () => (await lab.kubectl(['get', 'pv', volume.metadata.name])).code !== 0, 60_000);
    // web's one-per-node pod (test 1) comes back to the uncordoned worker, for the tests after this one
    if ((await lab.kubectl(['get', 'deployment', 'web'])).code === 0) await serving('app=web', 3, 120_000);
  });

  it('(ds) a DaemonSet runs one pod per worker, follows taints, rolls node by node, and undoes (issue 16)', async () => {
    const agent = (image: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'agent', image, command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] }] },
          },
        },
      });
    const running = async (want: Record<string, string>, timeoutMs = 90_000) => {
      const byNode = async () => {
        const out = JSON.parse(await k(['get', 'pods', '-l', 'app=agent', '-o', 'json'])) as {
          items: { metadata: { deletionTimestamp?: string }; spec: { nodeName?: string; containers: { image: string }[] }; status: { phase?: string } }[];
        };
        const live = out.items.filter((p) => !p.metadata.deletionTimestamp);
        const m: Record<string, string> = {};
        for (const p of live) m[p.spec.nodeName ?? '<unbound>'] = (m[p.spec.nodeName ?? '<unbound>'] ? 'TWO PODS ' : '') + p.spec.containers[0]!.image;
        return { m, allRunning: live.every((p) => p.status.phase === 'Running') };
      };
      const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort());
      await waitFor(
        `agent pods ${key(want)}`,
        async () => {
          const { m, allRunning } = await byNode();
          if (key(m) !== key(want) || !allRunning) throw new Error(`now ${key(m)}, all running: ${allRunning}`);
          return true;
        },
        timeoutMs,
      );
    };
    const every = (image: string, workers = lab.workers) => Object.fromEntries(workers.map((w) => [w.name, image]));
    const [first, second] = ['busybox', '127.0.0.1:5000/skiff/busybox:latest'];
    const started = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await k(['apply', '-f', '-'], agent(first));
    await running(every(first));
    phase('one per worker');

    // a node joining is covered on hollow nodes (controller-manager/test/daemonset-cluster.test.ts): a real
    // worker joining took about 2 minutes on the shared CI machine, too long for the lab's share of CI
    // an image update replaces one node at a time (maxUnavailable 1 by default)
    const live = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = await lab.kubectl([
          'get',
          'pods',
          '-l',
          'app=agent',
          '-o',
          'jsonpath={range .items[*]}{.status.phase}{" "}{.metadata.deletionTimestamp}{"\\n"}{end}',
        ]);
        // a pod being deleted prints its deletionTimestamp after the phase: it does not count
        if (r.code === 0) live.add(r.stdout.split('\n').filter((l) => l.trim() === 'Running').length);
        await new Promise((res) => setTimeout(res, 300));
      }
    })();
    await k(['set', 'image', 'ds/agent', `agent=${second}`]);
    const rolled = await k(['rollout', 'status', 'ds/agent', '--timeout=120s'], undefined, 130_000);
    watching = false;
    await watcher;
    expect(rolled).to.contain('successfully rolled out');
    await running(every(second));
    expect(Math.min(...live), `running pods seen during the rollout: ${[...live]}`).to.be.at.least(lab.workers.length - 1);
    phase('rolled');
    const history = await k(['rollout', 'history', 'ds/agent']);
    expect(history).to.match(/\n1\s/).and.to.match(/\n2\s/);

    // undo brings the previous template back, and the pods follow (all at once: lab time is short)
    await k(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":"100%"}}}}']);
    expect(await k(['rollout', 'undo', 'ds/agent'])).to.contain('rolled back');
    expect((await k(['get', 'ds', 'agent', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).trim()).to.equal(first);
    await k(['rollout', 'status', 'ds/agent', '--timeout=120s'], undefined, 130_000);
    await running(every(first));
    phase('undone');

    // NoSchedule added later keeps the pod; NoExecute without a toleration evicts it for good
    const [keep, evict] = [lab.workers[0]!.name, lab.workers[1]!.name];
    try {
      await k(['taint', 'node', keep, 'ds-test=x:NoSchedule']);
      await k(['taint', 'node', evict, 'ds-test=x:NoExecute']);
      const rest = Object.fromEntries(Object.entries(every(first)).filter(([n]) => n !== evict));
      await running(rest, 60_000);
      await new Promise((res) => setTimeout(res, 1500));
      await running(rest, 1000);
      phase('tainted');
      process.stdout.write(`      daemonset: ${phases.join(', ')}\n`);
      const table = await k(['get', 'ds', 'agent']);
      expect(table).to.match(new RegExp(`agent\\s+${lab.workers.length - 2}\\s`));
    } finally {
      await lab.kubectl(['taint', 'node', keep, 'ds-test-']);
      await lab.kubectl(['taint', 'node', evict, 'ds-test-']);
      await k(['delete', 'ds', 'agent', '--wait=false']);
    }
  });

  it("(10) node isolation (issue 14): a worker's own kubelet credential reads its pod's Secret, not another worker's; cannot patch that worker, nor get its certificate", async () => {
    const [a, b] = lab.workers as [(typeof lab.workers)[0], (typeof lab.workers)[0]];
    // node a's credential exactly as its kubelet holds it after TLS bootstrap
    const asA = (args: string[], stdin?: string) =>
      runKubectl(lab.nodeKubeconfig(a.name), KUBECTL, args, stdin === undefined ? { timeoutMs: 30_000 } : { stdin, timeoutMs: 30_000 });
    const pinned = (name: string, node: string, secret: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'iso' },
        spec: {
          nodeName: node,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], envFrom: [{ secretRef: { name: secret } }] }],
        },
      });
    const csr = (name: string, pem: string, signerName = KUBELET_CLIENT_SIGNER, usages = ['digital signature', 'client auth']) =>
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: { request: Buffer.from(pem).toString('base64'), signerName, usages },
      });
    await k(['create', 'namespace', 'iso']);
    try {
      await k(['create', 'secret', 'generic', 'a-own', '-n', 'iso', '--from-literal=k=a']);
      await k(['create', 'secret', 'generic', 'b-only', '-n', 'iso', '--from-literal=k=b']);
      await k(['create', '-f', '-'], pinned('on-a', a.name, 'a-own'));
      await k(['create', '-f', '-'], pinned('on-b', b.name, 'b-only'));
      // the Node authorizer learns of the pods through its watch
      const own = await waitFor(`${a.name} reads its pod's Secret`, async () => {
        const r = await asA(['get', 'secret', 'a-own', '-n', 'iso', '-o', 'jsonpath={.data.k}']);
        return r.code === 0 && r.stdout;
      });
      expect(Buffer.from(own, 'base64').toString()).to.equal('a');
      const whoami = await asA(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(whoami.stdout).to.equal(`system:node:${a.name}`);

      const stolen = await asA(['get', 'secret', 'b-only', '-n', 'iso']);
      expect(stolen.code).to.not.equal(0);
      expect(stolen.stderr.trim()).to.equal(
        `Error from server (Forbidden): secrets "b-only" is forbidden: User "system:node:${a.name}" cannot get resource "secrets" in API group "" in the namespace "iso": no relationship found between node '${a.name}' and this object`,
      );
      expect((await asA(['get', 'secrets', '-n', 'iso'])).stderr).to.include('(Forbidden)');

      const patch = await asA(['patch', 'node', b.name, '--type=merge', '-p', '{"metadata":{"labels":{"owned-by":"a"}}}']);
      expect(patch.code).to.not.equal(0);
      expect(patch.stderr.trim()).to.equal(
        `Error from server (Forbidden): nodes "${b.name}" is forbidden: node "${a.name}" is not allowed to modify node "${b.name}"`,
      );
      // kubectl reads nodes/status before patching it, which system:node does not grant (as upstream)
      const status = await asA(['patch', 'node', b.name, '--subresource=status', '--type=merge', '-p', '{"metadata":{"labels":{"owned-by":"a"}}}']);
      expect(status.stderr).to.include('(Forbidden)');
      expect(await k(['get', 'node', b.name, '-o', 'jsonpath={.metadata.labels.owned-by}'])).to.equal('');

      // a asks for a client and a serving certificate in b's name, and for its own renewal: the
      // controller-manager's approver signs the renewal (asked last: the others were judged before it),
      // never the other two; a cannot approve them
      const forB = await createNodeCsr(b.name);
      const servingB = await createNodeCsr(b.name, { dnsNames: [b.name], ipAddresses: [b.address] });
      const renewal = await createNodeCsr(a.name);
      const foreign = ['iso-a-asks-for-b', 'iso-a-serves-as-b'];
      expect((await asA(['create', '-f', '-'], csr(foreign[0]!, forB.csrPem))).code).to.equal(0);
      expect((await asA(['create', '-f', '-'], csr(foreign[1]!, servingB.csrPem, KUBELET_SERVING_SIGNER, ['digital signature', 'server auth']))).code).to.equal(
        0,
      );
      expect((await asA(['create', '-f', '-'], csr('iso-a-renews', renewal.csrPem))).code).to.equal(0);
      await waitFor('the renewal signed', async () => (await k(['get', 'csr', 'iso-a-renews', '-o', 'jsonpath={.status.certificate}'])).length > 0, 30_000);
      for (const name of foreign) {
        expect((await asA(['certificate', 'approve', name])).stderr, name).to.include('(Forbidden)');
        const now = JSON.parse(await k(['get', 'csr', name, '-o', 'json'])) as {
          spec: { username: string };
          status?: { conditions?: { type: string }[]; certificate?: string };
        };
        expect(now.spec.username, name).to.equal(`system:node:${a.name}`);
        expect(now.status?.conditions ?? [], name).to.deep.equal([]);
        expect(now.status?.certificate, name).to.equal(undefined);
      }
    } finally {
      await lab.kubectl(['delete', 'csr', 'iso-a-asks-for-b', 'iso-a-serves-as-b', 'iso-a-renews', '--ignore-not-found']);
      await lab.kubectl(['delete', 'namespace', 'iso', '--wait=false']);
    }
  });

  it('(ds-join) a worker that joins gets its DaemonSet pod; one that leaves loses it (issue 16)', async () => {
    // its own case, so that `--grep ds` runs the DaemonSet without the join (about 2 minutes of a
    // real worker's install, TLS bootstrap and first image pull on the shared machine)
    await k(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'joiner-agent' },
        spec: {
          selector: { matchLabels: { app: 'joiner-agent' } },
          template: {
            metadata: { labels: { app: 'joiner-agent' } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'agent', image: 'busybox', command: ['sleep', '3600'] }] },
          },
        },
      }),
    );
    const runningOn = async () => {
      const out = JSON.parse(await k(['get', 'pods', '-l', 'app=joiner-agent', '-o', 'json'])) as {
        items: { metadata: { deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string } }[];
      };
      return out.items
        .filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running')
        .map((p) => p.spec.nodeName ?? '')
        .sort();
    };
    const names = (extra: string[] = []) => [...lab.workers.map((w) => w.name), ...extra].sort();
    const joiner = lab.layout.prefix + String(lab.workers.length + 1);
    const started = Date.now();
    try {
      await waitFor('one agent per worker', async () => JSON.stringify(await runningOn()) === JSON.stringify(names()), 90_000);
      const joined = await lab.joinWorker(lab.workers.length + 1);
      expect(joined.code, joined.output.slice(-2000)).to.equal(0);
      const joinedAt = Date.now();
      await waitFor(`an agent on ${joiner}`, async () => JSON.stringify(await runningOn()) === JSON.stringify(names([joiner])), 180_000, 1000);
      process.stdout.write(
        `      ds-join: joined after ${((joinedAt - started) / 1000).toFixed(0)} s, its agent Running ${((Date.now() - joinedAt) / 1000).toFixed(0)} s later\n`,
      );
    } finally {
      await lab.removeWorker(joiner);
      await lab.kubectl(['delete', 'node', joiner, '--wait=false']);
    }
    // the Node gone, its pod goes too (the garbage collector, as the pod's node no longer exists)
    await waitFor('one agent per worker again', async () => JSON.stringify(await runningOn()) === JSON.stringify(names()), 120_000, 1000);
    await k(['delete', 'ds', 'joiner-agent', '--wait=false']);
  });

  it('(4) a worker dies: NotReady, its pods come back on the others, the Service keeps answering', async () => {
    const mover = await serving('app=mover', 4);
    const counts = new Map<string, number>();
    for (const p of mover) counts.set(p.node, (counts.get(p.node) ?? 0) + 1);
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const survivors = lab.workers.filter((w) => w.name !== victim);
    await lab.killWorker(victim);
    const killedAt = Date.now();
    await waitFor(
      `${victim} NotReady`,
      async () => {
        const n = JSON.parse(await k(['get', 'node', victim, '-o', 'json'])) as { status: { conditions: { type: string; status: string }[] } };
        return n.status.conditions.find((c) => c.type === 'Ready')?.status !== 'True';
      },
      90_000,
      1000,
    );
    const notReadyAfter = Date.now() - killedAt;
    const back = await serving('app=mover', 4, 120_000);
    expect(back.map((p) => p.node)).to.not.include(victim);
    process.stdout.write(
      `      ${victim}: NotReady after ${(notReadyAfter / 1000).toFixed(1)} s, pods back after ${((Date.now() - killedAt) / 1000).toFixed(1)} s\n`,
    );
    for (let i = 0; i < 40; i++) {
      const r = await httpGet(nodePortUrls(30080, survivors)[i % survivors.length]!);
      expect(r.ok, `request ${i}: ${r.error ?? r.status}`).to.equal(true);
    }
  });
});
