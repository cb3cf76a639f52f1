// scripts/pki.sh for several control-plane nodes (the HA lab): each etcd member's and each
// apiserver's serving certificate names its own address and chains to the right CA (etcd's
// own CA for members, the cluster CA for apiservers); running it again changes nothing.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/testing/index.ts';

const pki = (dir: string, ...args: string[]) => execFileSync('bash', [join(repoRoot(), 'scripts', 'pki.sh'), dir, ...args], { stdio: 'pipe' });
const sans = (cert: string) => execFileSync('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']).toString();
const verifies = (ca: string, cert: string) => {
  try {
    execFileSync('openssl', ['verify', '-CAfile', ca, cert], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

describe('scripts/pki.sh etcd-member / apiserver (one certificate per control-plane node)', function () {
  // a whole PKI is some 25 RSA keys, made with a synchronous call: slow on 2 cores shared with
  // the e2e lanes (its before hook failed in one full make test)
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'skiff-pki-ha-')), 'pki');
    pki(dir);
  });
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it("an etcd member's serving and peer certificates name its address and are of the etcd CA only", () => {
    pki(dir, 'etcd-member', 'cp1', '10.9.0.21');
    pki(dir, 'etcd-member', 'cp2', '10.9.0.22');
    for (const kind of ['server', 'peer']) {
      const cert = join(dir, 'etcd', `cp1-${kind}.crt`);
      expect(sans(cert)).to.include('IP Address:10.9.0.21').and.include('DNS:cp1').and.not.include('10.9.0.22');
      expect(verifies(join(dir, 'etcd', 'ca.crt'), cert)).to.equal(true);
      expect(verifies(join(dir, 'ca.crt'), cert)).to.equal(false);
    }
    expect(sans(join(dir, 'etcd', 'cp2-server.crt'))).to.include('IP Address:10.9.0.22');
  });

  it("an apiserver's serving certificate names its address, the Service IP and the kubernetes names, of the cluster CA", () => {
    pki(dir, 'apiserver', 'apiserver-cp1', '10.9.0.21');
    const cert = join(dir, 'apiserver-cp1.crt');
    const names = sans(cert);
    for (const n of ['IP Address:10.9.0.21', 'IP Address:10.96.0.1', 'IP Address:127.0.0.1', 'DNS:kubernetes.default.svc.cluster.local'])
      expect(names).to.include(n);
    expect(verifies(join(dir, 'ca.crt'), cert)).to.equal(true);
  });

  it('running it again keeps every certificate; the plain apiserver certificate is not a NAME', () => {
    const before = readFileSync(join(dir, 'etcd', 'cp1-server.crt'), 'utf8') + readFileSync(join(dir, 'apiserver-cp1.crt'), 'utf8');
    pki(dir, 'etcd-member', 'cp1', '10.9.0.99');
    pki(dir, 'apiserver', 'apiserver-cp1', '10.9.0.99');
    expect(readFileSync(join(dir, 'etcd', 'cp1-server.crt'), 'utf8') + readFileSync(join(dir, 'apiserver-cp1.crt'), 'utf8')).to.equal(before);
    expect(() => pki(dir, 'apiserver', 'apiserver', '10.9.0.21')).to.throw();
  });
});
