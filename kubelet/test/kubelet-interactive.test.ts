// kubectl's interactive side through the apiserver's proxy to the kubelet, with the real
// kubectl: `logs` (-f, --tail, --since, --timestamps, --previous), `run -i --tty --rm` driven
// through a pty (script(1)) and `attach`, against a private containerd.
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { useApiserver, kubectlBinary, until } from '@skiff/common/testing/index';
import { startLocalNode, type LocalNode } from '../src/runtime-setup/local-node.ts';

const BUSYBOX = '127.0.0.1:5000/skiff/busybox:latest';
const NODE = 'kl-node-3';

type Json = Record<string, any>;

/** A long-running kubectl (or script wrapping it) whose output is collected as it comes. */
class Running {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', KUBECONFIG: '' } });
    this.child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.err += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }
  async waitFor(text: string | RegExp, ms = 20_000): Promise<void> {
    await until(`output ${text}`, () => (typeof text === 'string' ? this.out.includes(text) : text.test(this.out)), ms).catch((e: Error) => {
      throw new Error(`${e.message}; stdout: ${JSON.stringify(this.out.slice(-600))} stderr: ${this.err.slice(-600)}`);
    });
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('kubectl logs, run -i --tty, attach through the kubelet', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  let node: LocalNode;
  const running: Running[] = [];
  const kubectl = (version: string, args: string[]) => cluster.server.kubectl(version, args);
  const kubectlArgs = (args: string[]) => [`--kubeconfig=${cluster.server.kubeconfigPath}`, ...args];
  const getPod = async (name: string): Promise<Json> => JSON.parse((await cluster.server.request('GET', `/api/v1/namespaces/default/pods/${name}`)).body);
  const createPod = async (name: string, container: Json, extra: Json = {}) => {
    const r = await cluster.server.request('POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          nodeName: NODE,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', ...container }],
          ...extra,
        },
      },
    });
    expect(r.status, r.body).to.equal(201);
  };
  const runningPod = (name: string) =>
    until(`${name} Running`, async () => {
      const p = await getPod(name);
      return p.status?.phase === 'Running' && p;
    });

  before(async () => {
    node = await startLocalNode({ kubeconfigPath: cluster.server.kubeconfigPath, nodeName: NODE, subnet: '10.253.3.0/24', bridge: 'skiff-kl2' });
    await until('node Ready', async () => {
      const n = JSON.parse((await cluster.server.request('GET', `/api/v1/nodes/${NODE}`)).body);
      return n.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status === 'True';
    });
    await createPod('logger', { command: ['sh', '-c', 'echo early; sleep 4; i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.3; done'] });
    await createPod(
      'restarter',
      {
        command: [
          'sh',
          '-c',
          'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; if [ $n -ge 2 ]; then exec sleep 600; fi; exit 1',
        ],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { volumes: [{ name: 'data', emptyDir: {} }] },
    );
  });
  afterEach(() => {
    for (const r of running.splice(0)) r.stop();
  });
  after(async () => {
    if (node) await node.stop();
  });

  it('logs: -f streams new lines; --tail, --since, --timestamps', async () => {
    await runningPod('logger');
    await until('some lines', async () => (await kubectl('1.33', ['logs', 'logger'])).stdout.includes('line-3'), 20_000, 300);
    const all = (await kubectl('1.33', ['logs', 'logger'])).stdout.trim().split('\n');
    expect(all[0]).to.equal('early');
    const lastSeen = Number(all.at(-1)!.replace('line-', ''));

    const follow = new Running(kubectlBinary('1.33'), kubectlArgs(['logs', '-f', 'logger']));
    running.push(follow);
    await follow.waitFor('early');
    // lines written after the request started arrive on the open stream
    await follow.waitFor(`line-${lastSeen + 5}\n`, 15_000);
    expect(follow.child.exitCode).to.equal(null);

    const tail = (await kubectl('1.33', ['logs', 'logger', '--tail=2'])).stdout.trim().split('\n');
    expect(tail).to.have.length(2);
    expect(Number(tail[1]!.replace('line-', '')) - Number(tail[0]!.replace('line-', ''))).to.equal(1);

    const since = (await kubectl('1.33', ['logs', 'logger', '--since=2s'])).stdout.trim().split('\n');
    expect(since).to.not.include('early');
    expect(since.length).to.be.within(3, 12); // ~0.3 s per line
    expect(
      since.every((l) => /^line-\d+$/.test(l)),
      since.join('|'),
    ).to.equal(true);

    const stamped = (await kubectl('1.33', ['logs', 'logger', '--timestamps', '--tail=3'])).stdout.trim().split('\n');
    expect(stamped).to.have.length(3);
    for (const l of stamped) expect(l).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) line-\d+$/);
  });

  it('logs --previous shows the attempt before a restart', async () => {
    await until(
      'restarter restarted and running',
      async () => {
        const s = (await getPod('restarter')).status?.containerStatuses?.[0];
        return s?.restartCount === 1 && s.state?.running;
      },
      30_000,
      300,
    );
    expect((await kubectl('1.33', ['logs', 'restarter'])).stdout).to.equal('attempt-2\n');
    expect((await kubectl('1.33', ['logs', 'restarter', '--previous'])).stdout).to.equal('attempt-1\n');
    const none = await kubectl('1.33', ['logs', 'logger', '--previous']);
    expect(none.code).to.not.equal(0);
    expect(none.stderr).to.match(/previous terminated container "c" in pod "logger" not found/);
  });

  for (const version of ['1.32', '1.33']) {
    it(`kubectl ${version} run -i --tty --rm through a pty: typed input, output, pod removed`, async () => {
      const name = `bb-${version.replace('.', '')}`;
      const overrides = JSON.stringify({ spec: { nodeName: NODE } });
      const cmd = [
        kubectlBinary(version),
        ...kubectlArgs([
          'run',
          '-i',
          '--tty',
          '--rm',
          name,
          `--image=${BUSYBOX}`,
          '--image-pull-policy=IfNotPresent',
          '--restart=Never',
          `--overrides=${overrides}`,
          '--',
          'sh',
        ]),
      ]
        .map(shellQuote)
        .join(' ');
      const term = new Running('script', ['-qfc', cmd, '/dev/null']);
      running.push(term);
      // kubectl prints its hint, then the shell's prompt arrives over the attach stream
      await term.waitFor(/\/ # $|If you don't see a command prompt/, 60_000);
      term.child.stdin.write('\r');
      await term.waitFor(/\/ # /, 15_000);
      term.child.stdin.write('echo hello-$((1+1))\r');
      await term.waitFor('hello-2\r\n', 15_000);
      term.child.stdin.write('exit\r');
      const code = await Promise.race([term.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
      expect(code, `${term.out}\n${term.err}`).to.equal(0);
      expect(term.out).to.match(new RegExp(`pod "${name}" deleted`));
      await until(`${name} gone`, async () => (await cluster.server.request('GET', `/api/v1/namespaces/default/pods/${name}`)).status === 404, 20_000, 300);
    });
  }

  for (const version of ['1.27', '1.33']) {
    it(`kubectl ${version} attach: output of a running container, and -i input to its stdin`, async () => {
      const ticker = `tick-${version.replace('.', '')}`;
      const reader = `stdin-${version.replace('.', '')}`;
      await createPod(ticker, { command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done'] });
      await createPod(reader, { command: ['sh'], stdin: true });
      await runningPod(ticker);
      await runningPod(reader);

      await until('tick-3 logged', async () => (await kubectl('1.33', ['logs', ticker])).stdout.includes('tick-3\n'), 15_000, 300);
      const out = new Running(kubectlBinary(version), kubectlArgs(['attach', ticker]));
      running.push(out);
      // attach shows only what the container writes from now on
      await out.waitFor(/tick-\d+\n.*tick-\d+\n/s, 15_000);
      expect(out.out).to.not.match(/^tick-[0-2]$/m);

      const input = new Running(kubectlBinary(version), kubectlArgs(['attach', '-i', reader]));
      running.push(input);
      await new Promise((r) => setTimeout(r, 1500)); // let the stream open before typing
      input.child.stdin.write('echo attached-$((2+3))\n');
      await input.waitFor('attached-5\n', 15_000);
      input.child.stdin.write('echo again-$((3*3))\n');
      await input.waitFor('again-9\n', 15_000);
    });
  }
});
