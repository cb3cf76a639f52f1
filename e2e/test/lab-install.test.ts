// Issue 23, acceptance 2: in a fresh network namespace "VM" of the shared lab, with no
// repository, the release tarball (make dist) and the one join command `make token` prints
// bring a node to Ready that runs a pod; a second namespace runs the server install from the
// same tarball and its own node becomes Ready. Both are then uninstalled and leave nothing.
// Everything the "VMs" run must come from the install's prefix (or Debian: containerd, etcd...):
// each of their processes' executable and command line is read from /proc.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot, runKubectl, waitFor } from '@skiff/common/testing/index';
import { hostAddress, labScript, layoutEnv, SHARED_LAB_KUBECTL, sharedLab } from '../src/lab/index.ts';
import type { Lab } from '../src/lab/index.ts';

const run = promisify(execFile);
const NS = 'lab-install';
/** the two "VMs": .31 and .32 of the lab /24 (workers are .1N, load balancers .200-.239) */
const AGENT = { name: 'skiff-inst-a', octet: 31 };
const SERVER = { name: 'skiff-inst-s', octet: 32 };
/** what a fresh Debian machine has on its PATH: nothing of the repository's node_modules/.bin */
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

interface Proc {
  pid: number;
  exe: string;
  cmdline: string;
}

/** Processes whose network namespace is the named one (a "VM"'s processes; pods have their own). */
function processesIn(netns: string): Proc[] {
  const want = statSync(`/var/run/netns/${netns}`).ino;
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}/ns/net`).ino !== want) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      if (!cmdline) continue; // a zombie or kernel thread
      out.push({ pid: Number(entry), exe: readlinkSync(`/proc/${entry}/exe`), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** user+system CPU seconds the processes used so far (their own and their reaped children's) */
function cpuSeconds(procs: Proc[]): number {
  let ticks = 0;
  for (const p of procs) {
    try {
      const fields = readFileSync(`/proc/${p.pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/**
 * The processes of a "VM" run only what the install put under `prefix` and Debian's programs:
 * none names the repository, every Node process is the release's Node, and `expected` programs
 * of the prefix are among them.
 */
function expectOnlyFromPrefix(netns: string, prefix: string, expected: string[]): Proc[] {
  const procs = processesIn(netns);
  const repo = repoRoot();
  for (const p of procs) {
    expect(p.exe.startsWith(`${repo}/`), `pid ${p.pid} runs ${p.exe} of the repository`).to.equal(false);
    expect(p.cmdline.includes(`${repo}/`), `pid ${p.pid} names the repository: ${p.cmdline}`).to.equal(false);
    if (/\/node$/.test(p.exe)) expect(p.exe, `pid ${p.pid}: ${p.cmdline}`).to.equal(join(prefix, 'node_modules', '.bin', 'node'));
  }
  for (const program of expected) {
    const path = join(prefix, program);
    expect(
      procs.some((p) => p.cmdline.split(' ').includes(path)),
      `no process runs ${path}:\n${procs.map((p) => `${p.pid} ${p.cmdline}`).join('\n')}`,
    ).to.equal(true);
  }
  return procs;
}

/** What an install left on the machine: its processes, mounts under its dirs, the dirs. */
function leftovers(netns: string, dirs: string[]): string[] {
  const left = processesIn(netns).map((p) => `process ${p.pid}: ${p.cmdline}`);
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const target = line.split(' ')[1] ?? '';
    if (dirs.some((d) => target.startsWith(`${d}/`))) left.push(`mount ${target}`);
  }
  for (const d of dirs) if (existsSync(d)) left.push(`directory ${d}`);
  return left;
}

interface Shell {
  code: number;
  output: string;
  /** user+system CPU seconds of the command and the children it waited for (bash `times`) */
  cpu: number;
  ms: number;
}

let shells = 0;

/**
 * `bash -c SCRIPT` inside a "VM" (nsenter --net: `ip netns exec` would remount /sys), with a clean
 * environment. Done when bash exits: the daemons it starts keep no pipe of ours open (they
 * redirect their output to logs), and its CPU times go to a file, not to an inherited descriptor.
 */
/**
 * The shared lab is left as it was found: the agent's join made a client CSR (with the
 * bootstrap token) and a serving CSR, which lab.test.ts would count among its workers'.
 * A CSR names its node only in the request's subject (CN=system:node:NAME).
 */
async function deleteJoinCsrs(lab: Lab, nodeName: string, scratch: string): Promise<void> {
  const r = await lab.kubectl(['get', 'csr', '-o', 'json']);
  if (r.code !== 0) return;
  const csrs = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { request: string } }[] }).items;
  const file = join(scratch, 'csr.pem');
  for (const c of csrs) {
    writeFileSync(file, Buffer.from(c.spec.request, 'base64'));
    const { stdout } = await run('openssl', ['req', '-in', file, '-noout', '-subject', '-nameopt', 'compat']).catch(() => ({ stdout: '' }));
    if (stdout.trim().endsWith(`CN=system:node:${nodeName}`)) await lab.kubectl(['delete', 'csr', c.metadata.name, '--wait=false']);
  }
}

function inVm(netns: string, script: string, timeoutMs: number, scratch: string): Promise<Shell> {
  const timesFile = join(scratch, `times-${++shells}`);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const env = Object.entries(CLEAN_ENV).map(([k, v]) => `${k}=${v}`);
    const child = spawn('nsenter', [`--net=/var/run/netns/${netns}`, 'env', '-i', ...env, 'bash', '-c', `${script}\nrc=$?; times >${timesFile}; exit $rc`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // `times`: the shell's user and system times, then its children's ("0m1.234s 0m0.567s")
      const times = existsSync(timesFile) ? readFileSync(timesFile, 'utf8') : '';
      const cpu = [...times.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
      // the last output still in the pipes
      setTimeout(() => resolve({ code: code ?? 1, output, cpu, ms: Date.now() - started }), 200);
    });
  });
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('lab: the release tarball installs an agent by the printed one-line join and a server (issue 23)', function () {
  this.timeout(600_000);
  let lab: Lab;
  const started = Date.now();
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-install-'));
  const labEnv = () => ({
    ...layoutEnv(lab.layout),
    SKIFF_DIR: scratch,
    SKIFF_LAB_CONTROL_PLANE: 'external',
    SKIFF_LAB_KUBECONFIG: '-',
    SKIFF_LAB_PKI: '-',
    SKIFF_LAB_SERVER_PORT: '0',
  });
  const net = () => lab.layout.net;
  const report: string[] = [];

  const k = async (args: string[], stdin?: string): Promise<string> => {
    const r = await lab.kubectl(args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const nodeReady = async (kubectl: (a: string[]) => Promise<string>, name: string) => {
    const out = await kubectl(['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return out.trim() === 'True';
  };

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // namespaces, links, containers and iptables need root
    lab = await sharedLab();
    // make dist, once for both cases: what an operator copies to a VM (nothing is compiled here)
    const t0 = Date.now();
    const { stdout } = await run('bash', [join(repoRoot(), 'scripts', 'dist.sh')], { maxBuffer: 1 << 22 });
    report.push(`make dist: ${fmt(Date.now() - t0)} (${stdout.split('\n')[0]?.replace(/^.*: /, '')})`);
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true']);
    await k(['create', 'namespace', NS]);
  });

  after(async () => {
    if (!lab) return;
    for (const vm of [AGENT, SERVER]) {
      // a failed case may have left its install: the uninstall of each prefix, then the namespace
      for (const prefix of [join(scratch, `${vm.name}-opt`)]) {
        if (existsSync(join(prefix, 'install.conf')) && existsSync(`/var/run/netns/${vm.name}`)) {
          await inVm(vm.name, `bash ${prefix}/install.sh uninstall --prefix ${prefix} --purge`, 120_000, scratch);
        }
      }
      await labScript(['vm-remove', vm.name], labEnv()).catch(() => undefined);
    }
    await lab.kubectl(['delete', 'node', AGENT.name, '--ignore-not-found']);
    await deleteJoinCsrs(lab, AGENT.name, scratch);
    await lab.kubectl(['delete', 'namespace', NS, '--wait=false']);
    if (process.env.SKIFF_KEEP_TEST_DIRS !== '1') rmSync(scratch, { recursive: true, force: true });
    process.stdout.write(`      lab-install: ${fmt(Date.now() - started)} (lab already up)\n${report.map((l) => `        ${l}\n`).join('')}`);
  });

  it('joins a fresh "VM" with the one command make token prints, runs a pod there, and uninstalls without a trace', async () => {
    const prefix = join(scratch, `${AGENT.name}-opt`);
    const state = join(scratch, `${AGENT.name}-state`);
    const address = `${net()}.${AGENT.octet}`;
    await labScript(['vm', AGENT.name, address], labEnv());

    // make token, as on the control plane: the second line is the install without a clone
    const tokenCli = join(repoRoot(), 'apiserver', 'dist', 'src', 'auth', 'token-cli.js');
    const server = `https://${hostAddress(lab.layout)}:${lab.controlPlane.port}`;
    const { stdout } = await run(process.execPath, [tokenCli, '--kubeconfig', lab.kubeconfig, '--server', server, '--ttl', '1h']);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^make join SERVER=/);
    const oneLine = lines[1] ?? '';
    expect(oneLine).to.match(
      /^curl -fsSk -H 'Authorization: Bearer [a-z0-9]{6}\.[a-z0-9]{16}' https:\/\/\S+\/skiff\/dist\/install\.sh -o \/tmp\/skiff-install\.sh && echo '[0-9a-f]{64} {2}\/tmp\/skiff-install\.sh' \| sha256sum -c --quiet && bash \/tmp\/skiff-install\.sh agent --server \S+ --token \S+ --ca-hash sha256:[0-9a-f]{64}$/,
    );

    // the printed line, run in the "VM" with a prefix and state dir of its own
    const join_ = await inVm(
      AGENT.name,
      `${oneLine} --init supervise --prefix ${prefix} --state-dir ${state} --node ${AGENT.name} --node-ip ${address}`,
      300_000,
      scratch,
    );
    expect(join_.code, join_.output.slice(-4000)).to.equal(0);
    expect(join_.output).to.match(/cluster CA matches sha256:/);
    expect(join_.output).to.match(/sha256 checked/);
    report.push(`agent: one-line join ${fmt(join_.ms)}, ${join_.cpu.toFixed(1)} s CPU in the install (download, unpack, join)`);

    await waitFor(`node ${AGENT.name} Ready`, () => nodeReady(k, AGENT.name), 120_000);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'on-installed', namespace: NS },
      spec: {
        nodeName: AGENT.name,
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: '127.0.0.1:5000/skiff/busybox:latest', command: ['sh', '-c', 'echo installed-node-says-hello; sleep 3600'] }],
        terminationGracePeriodSeconds: 1,
      },
    };
    await k(['apply', '-f', '-'], JSON.stringify(pod));
    await waitFor(
      'the pod Running on the installed node',
      async () => (await k(['-n', NS, 'get', 'pod', 'on-installed', '-o', 'jsonpath={.status.phase}'])) === 'Running',
      120_000,
    );
    await waitFor(
      'its log through the installed kubelet',
      async () => (await k(['-n', NS, 'logs', 'on-installed'])).includes('installed-node-says-hello'),
      60_000,
    );

    const procs = expectOnlyFromPrefix(AGENT.name, prefix, ['kubelet/dist/src/main.js', 'proxy/dist/src/main.js', 'scripts/supervise.sh']);
    expect(
      procs.some((p) => /^\S*containerd /.test(p.cmdline) && p.cmdline.includes(state)),
      'containerd with the state dir',
    ).to.equal(true);
    report.push(`agent: ${procs.length} processes in the VM, ${cpuSeconds(procs).toFixed(1)} s CPU so far`);

    const un = await inVm(AGENT.name, `bash ${prefix}/install.sh uninstall --prefix ${prefix} --purge`, 120_000, scratch);
    expect(un.code, un.output.slice(-3000)).to.equal(0);
    expect(leftovers(AGENT.name, [prefix, state])).to.deep.equal([]);
    const { stdout: links } = await run('ip', ['-n', AGENT.name, '-o', 'link', 'show']);
    expect(links, 'the CNI bridge').not.to.match(/\bcni0\b/);
    const { stdout: rules } = await run('nsenter', [`--net=/var/run/netns/${AGENT.name}`, 'iptables-save']);
    expect(
      rules.split('\n').filter((l) => /^[:-].*\b(KUBE|SKIFF)-/.test(l) || l.includes('name: \\"skiff\\"')),
      "the proxy's chains and the pods' CNI masquerade rules",
    ).to.deep.equal([]);
    // the Node object stays in the cluster (a node's credential may not delete it): the admin's job
    await k(['delete', 'node', AGENT.name]);
    await k(['-n', NS, 'delete', 'pod', 'on-installed', '--wait=false']);
  });

  // A whole second control plane (certificates, images, ten services) costs about 50 s of CPU
  // and 2-4 minutes of the lab lane, and make test is held to 25 minutes on two cores: opt-in
  // (SKIFF_LAB_INSTALL_SERVER=1). The server install is `cluster.sh up` from the prefix, which
  // every single-node test runs from the repository; the agent case above covers the unpacking,
  // the prefix and --init supervise.
  it('installs a server in a second "VM" from the same tarball: its own node becomes Ready; uninstall leaves nothing', async function () {
    if (process.env.SKIFF_LAB_INSTALL_SERVER !== '1') this.skip();
    const prefix = join(scratch, `${SERVER.name}-opt`);
    const state = join(scratch, `${SERVER.name}-state`);
    const address = `${net()}.${SERVER.octet}`;
    await labScript(['vm', SERVER.name, address], labEnv());
    // what an operator copies to the VM: make dist's three files
    const copied = join(scratch, 'copied-dist');
    cpSync(join(repoRoot(), '.skiff', 'dist'), copied, { recursive: true, filter: (src) => !src.includes('/.stage') });

    const install = await inVm(SERVER.name, `bash ${copied}/install.sh server --init supervise --prefix ${prefix} --state-dir ${state}`, 420_000, scratch);
    expect(install.code, install.output.slice(-4000)).to.equal(0);
    // it ends with the join commands for agents of this server, the one-line install among them
    expect(install.output).to.match(new RegExp(`bash /tmp/skiff-install\\.sh agent --server https://${address.replace(/\./g, '\\.')}:6443 `));

    // kubectl from the lab host, through the server's admin kubeconfig, at the VM's address
    const kubeconfig = join(scratch, 'server-admin.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(join(state, 'kubeconfig'), 'utf8').replace('https://127.0.0.1:6443', `https://${address}:6443`));
    const sk = async (args: string[]) => {
      const r = await runKubectl(kubeconfig, SHARED_LAB_KUBECTL, args, { cacheDir: join(scratch, 'server-kubectl-cache') });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const nodeName = (await sk(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(nodeName).to.not.equal('');
    await waitFor(`the server's node ${nodeName} Ready`, () => nodeReady(sk, nodeName), 180_000);
    const procs = expectOnlyFromPrefix(SERVER.name, prefix, [
      'apiserver/dist/src/main.js',
      'controller-manager/dist/src/main.js',
      'scheduler/dist/src/main.js',
      'kubelet/dist/src/main.js',
      'proxy/dist/src/main.js',
      'dns/dist/src/main.js',
      'scripts/supervise.sh',
    ]);
    report.push(
      `server: install ${fmt(install.ms)} (${install.cpu.toFixed(1)} s CPU in the script: pki, images, waits), ` +
        `${procs.length} processes, ${cpuSeconds(procs).toFixed(1)} s CPU in its services so far`,
    );

    const un = await inVm(SERVER.name, `bash ${prefix}/install.sh uninstall --prefix ${prefix} --purge`, 120_000, scratch);
    expect(un.code, un.output.slice(-3000)).to.equal(0);
    expect(leftovers(SERVER.name, [prefix, state])).to.deep.equal([]);
    const { stdout: links } = await run('ip', ['-n', SERVER.name, '-o', 'link', 'show']);
    expect(links, 'the CNI bridge').not.to.match(/\bcni0\b/);
  });
});
