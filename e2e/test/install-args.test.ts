// The release installer (deploy/install.sh, install.sh at the top of make dist's tarball) and
// scripts/uninstall.sh check every argument before touching the machine: bad input ends with
// one line naming the problem and exit code 2. No cluster, nothing installed: every case here
// is refused before the first change (the install itself is e2e/test/lab-install.test.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '@skiff/common/testing/index';

const TOKEN = 'abcdef.0123456789abcdef';
const HASH = `sha256:${'a'.repeat(64)}`;
const AGENT = ['agent', '--server', 'https://10.0.0.10:6443', '--token', TOKEN, '--ca-hash', HASH];

function script(file: string, args: string[]) {
  const r = spawnSync('bash', [join(repoRoot(), file), ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('install.sh and uninstall.sh refuse bad arguments with one line (issue 23)', () => {
  const refused: [string, string[], RegExp][] = [
    ['no role', [], /^install\.sh: usage: install\.sh server\|agent\|uninstall/],
    ['an unknown role', ['worker'], /the first argument must be server, agent or uninstall, got 'worker'/],
    ['an unknown option', ['server', '--bogus'], /unknown argument '--bogus'/],
    ['an option without its value', ['agent', '--token', '--ca-hash', HASH], /--token needs a value/],
    ['an option given twice', ['server', '--prefix', '/opt/a', '--prefix', '/opt/b'], /--prefix given twice/],
    ['an agent without credentials', ['agent', '--server', 'https://10.0.0.10:6443'], /agent needs --server, --token and --ca-hash/],
    [
      'a plain-HTTP server',
      ['agent', '--server', 'http://10.0.0.10:6443', '--token', TOKEN, '--ca-hash', HASH],
      /--server must be https:\/\/HOST\[:PORT\], got 'http:/,
    ],
    ['a server URL with a path', ['agent', '--server', 'https://10.0.0.10:6443/x;rm', '--token', TOKEN, '--ca-hash', HASH], /--server must be https/],
    [
      'a malformed token',
      ['agent', '--server', 'https://10.0.0.10:6443', '--token', 'abc', '--ca-hash', HASH],
      /--token must look like abcdef\.0123456789abcdef/,
    ],
    [
      'a CA hash without its algorithm',
      ['agent', '--server', 'https://10.0.0.10:6443', '--token', TOKEN, '--ca-hash', 'a'.repeat(64)],
      /--ca-hash must look like sha256:/,
    ],
    ['a node name that is no DNS label', [...AGENT, '--node', 'Node_1'], /--node must be a DNS label/],
    ['a node IP out of range', [...AGENT, '--node-ip', '10.0.0.256'], /--node-ip must be an IPv4 address, got '10\.0\.0\.256'/],
    ['a registry mirror that is no URL', [...AGENT, '--registry-mirror', 'ftp://x'], /--registry-mirror must be http\(s\):\/\/HOST\[:PORT\] or none/],
    ['a relative prefix', ['server', '--prefix', 'opt/skiff'], /--prefix must be an absolute path other than \//],
    ['the root directory as prefix', ['server', '--prefix', '/'], /--prefix must be an absolute path other than \//],
    ['a prefix climbing out', ['server', '--prefix', '/opt/../etc'], /--prefix must be an absolute path/],
    ['a prefix with spaces', ['server', '--prefix', '/opt/my skiff'], /--prefix must be an absolute path/],
    [
      'a state dir inside the prefix',
      ['server', '--prefix', '/opt/skiff', '--state-dir', '/opt/skiff/state'],
      /--prefix and --state-dir must not contain each other/,
    ],
    ['an unknown init', ['server', '--init', 'openrc'], /--init must be systemd or supervise, got 'openrc'/],
    ['an advertise address that is no IPv4', ['server', '--advertise-address', 'example.com'], /--advertise-address must be an IPv4 address/],
    ['an agent option given to a server', ['server', '--token', TOKEN], /--token is not an option of 'server'/],
    ['a server option given to an agent', [...AGENT, '--advertise-address', '10.0.0.11'], /--advertise-address is not an option of 'agent'/],
    ['an install option given to uninstall', ['uninstall', '--node', 'n1'], /--node is not an option of 'uninstall'/],
    ['a tarball that does not exist', ['server', '--tarball', '/nonexistent/skiff.tar.gz'], /--tarball must be a readable \.tar\.gz file/],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what}`, () => {
      const r = script('deploy/install.sh', args);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(message);
    });
  }

  it('prints its options with --help', () => {
    const r = script('deploy/install.sh', ['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/install\.sh agent --server https:\/\/HOST:PORT --token ID\.SECRET --ca-hash sha256:HEX/);
    expect(r.stdout).to.match(/--init systemd\|supervise/);
  });

  it('uninstall.sh refuses unknown arguments and a prefix that holds no install', () => {
    let r = script('scripts/uninstall.sh', ['--bogus']);
    expect([r.code, r.stderr.trim()]).to.deep.equal([2, "uninstall.sh: unknown argument '--bogus' (usage: uninstall.sh [--prefix DIR] [--purge])"]);
    r = script('scripts/uninstall.sh', ['--prefix', 'relative']);
    expect([r.code, r.stderr.trim()]).to.deep.equal([2, 'uninstall.sh: --prefix needs an absolute path']);
    r = script('scripts/uninstall.sh', ['--prefix', '/nonexistent/skiff']);
    expect([r.code, r.stderr.trim()]).to.deep.equal([2, 'uninstall.sh: no Skiff install at /nonexistent/skiff (no install.conf)']);
  });
});
