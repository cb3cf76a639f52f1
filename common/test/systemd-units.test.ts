// scripts/systemd-units.sh without systemd as PID 1: the units it writes for a server and for an
// agent (worker) name commands that exist, restart always, order themselves after what they
// need, and pass `systemd-analyze verify` where it is installed.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../src/testing/index.ts';

interface Run {
  code: number;
  out: string;
}

function sh(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', args, { env, cwd: repoRoot(), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** The unit file as section → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
    } else if (current && /^\w+=/.test(line)) {
      const [key, value] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
      current.set(key, [...(current.get(key) ?? []), value]);
    }
  }
  return sections;
}

function onPath(program: string, pathVar: string): boolean {
  if (program.includes('/')) return existsSync(program);
  return pathVar.split(delimiter).some((d) => {
    try {
      accessSync(join(d, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const analyzeAvailable = (): Promise<boolean> => sh(['-c', 'command -v systemd-analyze'], process.env).then((r) => r.code === 0);

describe('scripts/systemd-units.sh', function () {
  this.timeout(120_000);
  const script = join(repoRoot(), 'scripts', 'systemd-units.sh');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-units-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Checks every unit in out; returns unit name → its parsed sections. */
  async function checkUnits(out: string, role: string): Promise<Map<string, Map<string, Map<string, string[]>>>> {
    const units = new Map<string, Map<string, Map<string, string[]>>>();
    const pathVar = `${join(repoRoot(), 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`;
    for (const file of readdirSync(out).filter((f) => f.endsWith('.service'))) {
      const unit = parseUnit(readFileSync(join(out, file), 'utf8'));
      units.set(file, unit);
      const svc = unit.get('Service')!;
      expect(svc.get('Restart'), file).to.deep.equal(['always']);
      expect(unit.get('Install')!.get('WantedBy'), file).to.deep.equal([`skiff-${role}.target`]);
      const [bash, wrapper] = svc.get('ExecStart')![0]!.split(' ');
      expect(existsSync(bash!), `${file}: ${bash}`).to.equal(true);
      expect(existsSync(wrapper!), `${file}: ${wrapper}`).to.equal(true);
      expect((await sh(['-n', wrapper!], process.env)).code, `${wrapper} parses`).to.equal(0);
      // the program the wrapper execs, and the entry file of a Node component
      const exec = readFileSync(wrapper!, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('exec '))!;
      const words = exec.split(' ');
      expect(onPath(words[1]!, pathVar), `${file}: ${words[1]} on PATH`).to.equal(true);
      // (after its V8 flags from scripts/node-flags.conf)
      const entry = words.slice(2).find((w) => !w.startsWith('--'));
      if (words[1] === 'node') expect(existsSync(entry!), `${file}: ${entry}`).to.equal(true);
      // every unit it wants is one of these, or systemd's own
      for (const want of (unit.get('Unit')!.get('Wants') ?? []).join(' ').split(/\s+/).filter(Boolean)) {
        if (want.startsWith('skiff-')) expect(existsSync(join(out, want)), `${file} wants ${want}`).to.equal(true);
      }
      expect(unit.get('Unit')!.get('After')).to.deep.equal(unit.get('Unit')!.get('Wants'));
    }
    const target = parseUnit(readFileSync(join(out, `skiff-${role}.target`), 'utf8'));
    expect(target.get('Unit')!.get('Wants')![0]!.split(' ').sort()).to.deep.equal([...units.keys()].sort());
    if (await analyzeAvailable()) {
      const files = [...units.keys()].map((f) => join(out, f));
      const r = await sh(['-c', 'systemd-analyze verify "$@"', '_', ...files, join(out, `skiff-${role}.target`)], process.env);
      expect(r.code, r.out).to.equal(0);
    }
    return units;
  }

  it('server: every service of make up, ordered after what it needs', async () => {
    const out = join(dir, 'units');
    const r = await sh([script, 'server', '--out', out], { ...process.env, SKIFF_DIR: dir });
    expect(r.code, r.out).to.equal(0);
    const units = await checkUnits(out, 'server');
    for (const name of ['etcd', 'apiserver', 'controller-manager', 'scheduler', 'registry', 'containerd', 'kubelet', 'proxy', 'dns', 'metrics-server']) {
      expect(units.has(`skiff-${name}.service`), name).to.equal(true);
    }
    const after = (name: string) => units.get(`skiff-${name}.service`)!.get('Unit')!.get('After')![0]!;
    expect(after('apiserver')).to.include('skiff-etcd.service');
    expect(after('scheduler')).to.include('skiff-apiserver.service');
    expect(after('kubelet')).to.include('skiff-containerd.service');
    // containerd's restart leaves the pods' shims alone
    expect(units.get('skiff-containerd.service')!.get('Service')!.get('KillMode')).to.deep.equal(['process']);
    const apiserverExec = readFileSync(join(out, 'skiff-apiserver.sh'), 'utf8');
    expect(apiserverExec).to.include(`--client-ca-file=${dir}/pki/ca.crt`);
  });

  it('agent: containerd, then the kubelet and proxy with the commands make join ran', async () => {
    const node = 'w1';
    const base = join(dir, 'nodes', node);
    mkdirSync(join(base, 'containerd'), { recursive: true });
    mkdirSync(join(base, 'run'), { recursive: true });
    writeFileSync(join(base, 'containerd', 'config.toml'), 'version = 2\n');
    const entry = (w: string) => join(repoRoot(), w, 'dist', 'src', 'main.js');
    writeFileSync(join(base, 'run', 'kubelet.cmd'), `node ${entry('kubelet')} --node-name=${node} '--kubeconfig=${base}/kubelet kubeconfig' `);
    writeFileSync(join(base, 'run', 'proxy.cmd'), `node ${entry('proxy')} --node-name=${node} `);
    const missing = await sh([script, 'agent', '--out', join(dir, 'units')], { ...process.env, SKIFF_DIR: dir });
    expect(missing.code).to.not.equal(0);
    expect(missing.out).to.include('--node');
    const out = join(dir, 'units');
    const r = await sh([script, 'agent', '--node', node, '--out', out], { ...process.env, SKIFF_DIR: dir });
    expect(r.code, r.out).to.equal(0);
    const units = await checkUnits(out, 'agent');
    expect([...units.keys()].sort()).to.deep.equal(['skiff-containerd.service', 'skiff-kubelet.service', 'skiff-proxy.service']);
    expect(units.get('skiff-proxy.service')!.get('Service')!.get('StandardOutput')).to.deep.equal([`append:${dir}/logs/proxy-${node}.log`]);
    // the worker's kubelet drains its node when stopped, and systemd waits longer than the drain may take
    const kubelet = units.get('skiff-kubelet.service')!.get('Service')!;
    expect(kubelet.get('Environment')).to.deep.equal(['SKIFF_KUBELET_DRAIN_ON_SHUTDOWN=true SKIFF_KUBELET_SHUTDOWN_GRACE_PERIOD=30s']);
    expect(Number(kubelet.get('TimeoutStopSec')![0])).to.be.above(30 + 10);
    expect(units.get('skiff-proxy.service')!.get('Service')!.get('TimeoutStopSec')).to.deep.equal(['20']);
    // the quoted argument survives as one word
    const printed = await sh(['-c', `eval "set -- $(sed -n 's/^exec //p' "$1")"; printf '%s\\n' "$@"`, '_', join(out, 'skiff-kubelet.sh')], process.env);
    expect(printed.out.split('\n')).to.include(`--kubeconfig=${base}/kubelet kubeconfig`);
  });
});
