// Issue 8 acceptance: every file in manifests/ applies (real kubectl 1.33) to a whole
// single-node cluster started by the project's scripts and becomes healthy: Deployments
// Available, Pods Ready, Services with ready endpoints. Each file gets a namespace of its own,
// so a failure names the file. Also issue 5: `kubectl run -i --tty --rm` through a pty.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KUBECTL_POLL_MS, kubectlBinary, repoRoot, waitFor } from '@skiff/common/testing/index';
import { sharedSingleNodeCluster, tallyPods } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';
import { unhealthyReason } from '../../src/single-node/health.ts';
import type { EndpointSliceLike, KubeObject } from '../../src/single-node/health.ts';
import { startInTerminal } from '../../src/single-node/terminal.ts';

const MANIFESTS = join(repoRoot(), 'manifests');
const FILES = readdirSync(MANIFESTS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const HEALTHY_WITHIN_MS = 120_000;

/** 01-web-deployment.yaml -> m-01-web-deployment */
const namespaceOf = (file: string) =>
  `m-${file
    .replace(/\.ya?ml$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63);

describe('single node: every file in manifests/ applies and becomes healthy (issue 8)', function () {
  this.timeout(180_000);
  let c: SingleNodeCluster;
  const applied = new Map<string, { code: number; output: string }>();

  async function unhealthy(file: string): Promise<string[]> {
    const ns = namespaceOf(file);
    const objects = JSON.parse(await c.kubectlOk(['-n', ns, 'get', '-f', join(MANIFESTS, file), '-o', 'json'])) as { items?: KubeObject[] } & KubeObject;
    const items = objects.items ?? [objects];
    const slices = (JSON.parse(await c.kubectlOk(['-n', ns, 'get', 'endpointslices', '-o', 'json'])) as { items: EndpointSliceLike[] }).items;
    return items.flatMap((o) => {
      const reason = unhealthyReason(o, slices);
      return reason ? [`${o.kind}/${o.metadata.name}: ${reason}`] : [];
    });
  }

  before(async function () {
    this.timeout(300_000);
    expect(FILES.length, 'manifests/*.yaml').to.be.greaterThan(0);
    c = await sharedSingleNodeCluster();
    // all at once: the files become healthy side by side, each test then waits for its own
    for (const file of FILES) {
      await c.kubectlOk(['create', 'namespace', namespaceOf(file)]);
      const r = await c.kubectl(['-n', namespaceOf(file), 'apply', '-f', join(MANIFESTS, file)]);
      applied.set(file, { code: r.code, output: r.stdout + r.stderr });
    }
  });
  after(async function () {
    this.timeout(120_000);
    // the cluster is shared with the other e2e files: only this file's namespaces go
    await c?.kubectl(['delete', 'namespace', ...FILES.map(namespaceOf), 'tty-e2e', '--wait=false', '--ignore-not-found']);
  });

  for (const file of FILES) {
    it(`${file} applies and becomes healthy`, async () => {
      const a = applied.get(file)!;
      expect(a.code, a.output).to.equal(0);
      const deadline = Date.now() + HEALTHY_WITHIN_MS;
      let problems = await unhealthy(file);
      while (problems.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, KUBECTL_POLL_MS));
        problems = await unhealthy(file);
      }
      let detail = '';
      if (problems.length) {
        detail = (await c.kubectl(['-n', namespaceOf(file), 'get', 'all,events', '-o', 'wide'])).stdout + `\n--- kubelet log:\n${c.logTail('kubelet', 20)}`;
      }
      expect(problems, `still unhealthy after ${HEALTHY_WITHIN_MS / 1000} s\n${detail}`).to.deep.equal([]);
    });
  }

  it('01-web-deployment: the fixed NodePort 30080 answers from the host, from all 3 web pods', async () => {
    const tally = await tallyPods(c.network.nodeIP, 30080, 60);
    expect(tally.failures).to.deep.equal([]);
    expect([...tally.pods.keys()].filter((p) => p.startsWith('web-'))).to.have.length(3);
  });

  it('kubectl-lite reads logs and runs commands in a pod of 01-web-deployment (issue 8)', async () => {
    const ns = namespaceOf('01-web-deployment.yaml');
    const pod = (await c.kubectlOk(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const lite = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
          join(repoRoot(), 'bin', 'kubectl-lite'),
          [args[0]!, '-n', ns, ...args.slice(1)],
          { timeout: 60_000, env: { ...process.env, KUBECONFIG: c.kubeconfig } },
          (err, stdout, stderr) => {
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
          },
        );
      });
    const logs = await lite(['logs', pod]);
    expect(logs.code, logs.out).to.equal(0);
    expect(logs.out).to.include(`pod ${pod}`);
    const ok = await lite(['exec', pod, '--', 'sh', '-c', 'echo lite-$((2+3))']);
    expect(ok, ok.out).to.deep.include({ code: 0 });
    expect(ok.out).to.include('lite-5');
    const failed = await lite(['exec', pod, '--', 'sh', '-c', 'exit 3']);
    expect(failed.code, failed.out).to.equal(3);
  });

  it('03-config-and-secret: the pod sees the ConfigMap and the Secret as environment and files', async () => {
    const ns = namespaceOf('03-config-and-secret.yaml');
    const logs = await c.kubectlOk(['-n', ns, 'logs', 'config-demo']);
    expect(logs).to.include('GREETING=hello from a ConfigMap LOG_LEVEL=debug DB_USER=admin').and.include('color=blue');
    const secret = await c.kubectl(['-n', ns, 'exec', 'config-demo', '--', 'cat', '/etc/app/secret/password'], { version: '1.32' });
    expect(secret.stdout).to.equal('s3cr3t-but-only-base64');
  });

  it('09-data-that-survives: the replacement pod reads the file the first pod wrote to its claim (issue 15)', async () => {
    const ns = namespaceOf('09-data-that-survives.yaml');
    const podsOf = async () =>
      (JSON.parse(await c.kubectlOk(['-n', ns, 'get', 'pods', '-l', 'app=notebook', '-o', 'json'])) as { items: KubeObject[] }).items.filter(
        (p) => !p.metadata.deletionTimestamp,
      );
    const [first] = await podsOf();
    expect(first, 'a notebook pod').to.not.equal(undefined);
    const note = await c.kubectlOk(['-n', ns, 'exec', first!.metadata.name, '--', 'cat', '/data/note']);
    expect(note.trim()).to.not.equal('');
    const claim = JSON.parse(await c.kubectlOk(['-n', ns, 'get', 'pvc', 'notebook-data', '-o', 'json']));
    expect(claim.spec.storageClassName).to.equal('local-path');
    expect(claim.metadata.annotations['volume.kubernetes.io/selected-node']).to.equal(c.nodeName);
    const volume = JSON.parse(await c.kubectlOk(['get', 'pv', claim.spec.volumeName, '-o', 'json']));
    expect(volume.spec.hostPath.path.startsWith(join(c.dir, 'storage') + '/')).to.equal(true);
    await c.kubectlOk(['-n', ns, 'delete', 'pod', first!.metadata.name]);
    const deadline = Date.now() + HEALTHY_WITHIN_MS;
    let next: KubeObject | undefined;
    while (!next && Date.now() < deadline) {
      next = (await podsOf()).find((p) => p.metadata.name !== first!.metadata.name && !unhealthyReason(p, []));
      if (!next) await new Promise((r) => setTimeout(r, KUBECTL_POLL_MS));
    }
    expect(next, `no ready replacement pod\n${(await c.kubectl(['-n', ns, 'get', 'all,pvc,events'])).stdout}`).to.not.equal(undefined);
    expect(await c.kubectlOk(['-n', ns, 'exec', next!.metadata.name, '--', 'cat', '/data/note'])).to.equal(note);
    // Ready means the container started, not that its shell has written its first line: read
    // the log until the line is there (within a few seconds), as a user runs kubectl logs again
    const want = `found the note of ${note.trim()}`;
    await waitFor(`${next!.metadata.name} logs "${want}"`, async () => (await c.kubectlOk(['-n', ns, 'logs', next!.metadata.name])).includes(want), 30_000);
  });

  it('fsGroup: a non-root container writes to its claim, which the kubelet gave the pod group (issue 15)', async () => {
    const ns = 'fsgroup-e2e';
    await c.kubectlOk(['create', 'namespace', ns]);
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'shared' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'writer' },
      spec: {
        restartPolicy: 'Never',
        securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 },
        containers: [
          {
            name: 'w',
            image: '127.0.0.1:5000/skiff/busybox:latest',
            command: [
              'sh',
              '-c',
              'id; echo hi > /data/mine && echo wrote; stat -c "dir %g %a" /data; stat -c "file %u %g" /data/mine; stat -c "tmp %g" /scratch',
            ],
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'scratch', mountPath: '/scratch' },
            ],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'shared' } },
          { name: 'scratch', emptyDir: {} },
        ],
      },
    };
    await c.kubectlOk(['-n', ns, 'apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [claim, pod] }) });
    const done = await c.kubectl(['-n', ns, 'wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/writer', '--timeout=120s']);
    const logs = await c.kubectl(['-n', ns, 'logs', 'writer']);
    expect(done.code, `${done.stderr}\n${logs.stdout}${(await c.kubectl(['-n', ns, 'describe', 'pod', 'writer'])).stdout}`).to.equal(0);
    expect(logs.stdout).to.match(/uid=1000 gid=3000 groups=.*2000/);
    expect(logs.stdout).to.include('wrote');
    expect(logs.stdout).to.include('dir 2000 2'); // group 2000 and the setgid bit (2xxx)
    expect(logs.stdout).to.include('file 1000 2000'); // a new file inherits the group
    expect(logs.stdout).to.include('tmp 2000');
    await c.kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  });

  it('kubectl run -i --tty --rm gives a terminal in the container, then removes the pod (issue 5)', async () => {
    const ns = 'tty-e2e';
    await c.kubectlOk(['create', 'namespace', ns]);
    const term = startInTerminal(kubectlBinary('1.33'), [
      `--kubeconfig=${c.kubeconfig}`,
      '-n',
      ns,
      'run',
      'tty-demo',
      '-i',
      '--tty',
      '--rm',
      '--restart=Never',
      '--image=127.0.0.1:5000/skiff/busybox:latest',
      '--',
      'sh',
    ]);
    try {
      await term.waitFor(/If you don't see a command prompt|# $/m, 60_000);
      // the arithmetic is done by the container's shell, so the answer cannot be the echo of what was typed
      term.type('[ -t 0 ] && echo "tty-$((6*7))-$(stty size)"\r');
      await term.waitFor(/tty-42-\d+ \d+/, 15_000);
      term.type('exit\r');
      const code = await Promise.race([
        term.exited,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`kubectl did not exit:\n${term.output()}`)), 30_000)),
      ]);
      expect(code, term.output()).to.equal(0);
      expect(term.output()).to.match(/pod "tty-demo" deleted/);
    } finally {
      term.kill();
    }
    const gone = await c.kubectl(['-n', ns, 'get', 'pod', 'tty-demo']);
    expect(gone.stderr).to.match(/NotFound|not found/);
  });
});
