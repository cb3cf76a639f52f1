import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientCert, makePki, repoRoot } from '../src/testing/index.ts';
import type { Pki } from '../src/testing/index.ts';

const cert = (path: string) => new X509Certificate(readFileSync(path));

describe('testing harness: pki (scripts/pki.sh)', function () {
  this.timeout(60_000);
  let dir: string;
  let pki: Pki;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-pki-test-'));
    pki = await makePki(join(dir, 'pki'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a CA that signed every certificate', () => {
    const ca = cert(pki.caCert);
    expect(ca.ca).to.equal(true);
    for (const path of [pki.serverCert, pki.admin.cert, pki.controllerManager.cert, pki.scheduler.cert, pki.kubelet.cert]) {
      const leaf = cert(path);
      expect(leaf.ca, path).to.equal(false);
      expect(leaf.verify(ca.publicKey), path).to.equal(true);
    }
  });

  it('gives the apiserver certificate the in-cluster and loopback names', () => {
    const server = cert(pki.serverCert);
    for (const host of ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']) {
      expect(server.checkHost(host), host).to.equal(host);
    }
    expect(server.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(server.checkIP('10.96.0.1')).to.equal('10.96.0.1');
    expect(server.checkHost('example.com')).to.equal(undefined);
  });

  it('makes the admin a member of system:masters', () => {
    const admin = cert(pki.admin.cert);
    expect(admin.subject).to.include('CN=kubernetes-admin');
    expect(admin.subject).to.include('O=system:masters');
    expect(admin.checkPrivateKey(createPrivateKey(readFileSync(pki.admin.key)))).to.equal(true);
  });

  it('makes a service-account key pair that belongs together', () => {
    const pub = createPublicKey(createPrivateKey(readFileSync(pki.serviceAccountKey))).export({ type: 'spki', format: 'pem' });
    expect(pub.toString().trim()).to.equal(readFileSync(pki.serviceAccountPub, 'utf8').trim());
  });

  it('keeps existing files when run again', async () => {
    const before = readFileSync(pki.caCert, 'utf8') + readFileSync(pki.serverCert, 'utf8');
    await makePki(pki.dir);
    expect(readFileSync(pki.caCert, 'utf8') + readFileSync(pki.serverCert, 'utf8')).to.equal(before);
  });

  it('issues extra client certificates', async () => {
    const pair = await makeClientCert(pki, 'alice', 'alice', 'developers');
    const alice = cert(pair.cert);
    expect(alice.subject).to.include('CN=alice');
    expect(alice.subject).to.include('O=developers');
    expect(alice.verify(cert(pki.caCert).publicKey)).to.equal(true);
  });

  it('rejects file names that could escape the PKI dir', async () => {
    let error: unknown;
    try {
      await makeClientCert(pki, '../evil', 'x');
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/invalid certificate file name/);
  });

  describe('key algorithm (SKIFF_PKI_KEY_ALGORITHM, kubeadm encryptionAlgorithm names)', () => {
    const script = () => join(repoRoot(), 'scripts', 'pki.sh');
    const envWith = (algorithm: string | undefined): NodeJS.ProcessEnv => {
      const env = { ...process.env };
      if (algorithm === undefined) delete env.SKIFF_PKI_KEY_ALGORITHM;
      else env.SKIFF_PKI_KEY_ALGORITHM = algorithm;
      return env;
    };
    const keyTypes = (pkiDir: string) =>
      ['ca', 'apiserver', 'admin', 'kubelet', 'sa'].map((name) => {
        const key = createPrivateKey(readFileSync(join(pkiDir, `${name}.key`)));
        return `${name}:${key.asymmetricKeyType}${key.asymmetricKeyDetails?.modulusLength ?? ''}${key.asymmetricKeyDetails?.namedCurve ?? ''}`;
      });

    // a dozen RSA keys: seconds on a quiet machine, up to a minute or more beside make test's
    // other lanes; made asynchronously, so that the test process is not blocked meanwhile
    const makeWith = (pkiDir: string, algorithm: string | undefined) => promisify(execFile)('bash', [script(), pkiDir], { env: envWith(algorithm) });

    it('makes RSA-2048 keys by default, as make up does', async function () {
      this.timeout(300_000);
      const pkiDir = join(dir, 'rsa');
      await makeWith(pkiDir, undefined);
      expect(keyTypes(pkiDir)).to.deep.equal(['ca:rsa2048', 'apiserver:rsa2048', 'admin:rsa2048', 'kubelet:rsa2048', 'sa:rsa2048']);
    });

    it('makes ECDSA P-256 keys for ECDSA-P256, leaves signed by the CA', async function () {
      this.timeout(300_000);
      const pkiDir = join(dir, 'ec');
      await makeWith(pkiDir, 'ECDSA-P256');
      expect(keyTypes(pkiDir)).to.deep.equal(['ca:ecprime256v1', 'apiserver:ecprime256v1', 'admin:ecprime256v1', 'kubelet:ecprime256v1', 'sa:ecprime256v1']);
      expect(cert(join(pkiDir, 'admin.crt')).verify(cert(join(pkiDir, 'ca.crt')).publicKey)).to.equal(true);
    });

    it('refuses an algorithm it does not make, in one line, and writes nothing', () => {
      const pkiDir = join(dir, 'bad');
      const r = spawnSync('bash', [script(), pkiDir], { env: envWith('DSA-1024'), encoding: 'utf8' });
      expect(r.status).to.not.equal(0);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/SKIFF_PKI_KEY_ALGORITHM=DSA-1024 is not supported/);
      expect(existsSync(pkiDir)).to.equal(false);
    });
  });
});
