// CertificateSigningRequest validation through a real apiserver: spec.request must be a PEM
// CERTIFICATE REQUEST that parses, status.certificate PEM CERTIFICATE blocks that parse, each
// refused with 422 and the field named, as Kubernetes' certificates validation does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';

const PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

describe('CertificateSigningRequest validation (spec.request, status.certificate)', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  let dir: string;
  let csrPem: string;
  let certPem: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-csr-'));
    const key = join(dir, 'k.key');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    csrPem = execFileSync('openssl', ['req', '-new', '-key', key, '-subj', '/CN=alice']).toString();
    execFileSync('openssl', ['req', '-x509', '-key', key, '-subj', '/CN=alice', '-days', '1', '-out', join(dir, 'c.crt')]);
    certPem = readFileSync(join(dir, 'c.crt'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const csr = (name: string, request: string) => ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: Buffer.from(request).toString('base64'), signerName: 'example.com/signer', usages: ['client auth'] },
  });
  const causes = (body: string) => (JSON.parse(body).details?.causes ?? []).map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);

  it('takes a request that parses', async () => {
    const r = await cluster.server.request('POST', PATH, { body: csr('good', csrPem) });
    expect(r.status, r.body).to.equal(201);
  });

  it('refuses a request that is not a CERTIFICATE REQUEST, or does not parse, with 422 on spec.request', async () => {
    const wrongBlock = await cluster.server.request('POST', PATH, { body: csr('wrong-block', certPem) });
    expect(wrongBlock.status).to.equal(422);
    expect(causes(wrongBlock.body).join('\n')).to.match(/spec\.request: .*PEM block type must be CERTIFICATE REQUEST/);
    const garbled = csrPem.replace(/^(-----BEGIN CERTIFICATE REQUEST-----\n)(.{20})/, '$1AAAAAAAAAAAAAAAAAAAA');
    const malformed = await cluster.server.request('POST', PATH, { body: csr('malformed', garbled) });
    expect(malformed.status).to.equal(422);
    expect(causes(malformed.body).join('\n')).to.match(/spec\.request: .*malformed certificate request/);
  });

  it('refuses a status.certificate that does not parse, and takes one that does', async () => {
    const approve = await cluster.server.request('PUT', `${PATH}/good/approval`, {
      body: { ...csr('good', csrPem), status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'ok' }] } },
    });
    expect(approve.status, approve.body).to.equal(200);
    const withCert = (pem: string) => ({
      ...JSON.parse(approve.body),
      status: { ...JSON.parse(approve.body).status, certificate: Buffer.from(pem).toString('base64') },
    });
    const bad = await cluster.server.request('PUT', `${PATH}/good/status`, {
      body: withCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    });
    expect(bad.status).to.equal(422);
    expect(causes(bad.body).join('\n')).to.match(/status\.certificate: .*failed to parse certificate/);
    const good = await cluster.server.request('PUT', `${PATH}/good/status`, { body: withCert(certPem) });
    expect(good.status, good.body).to.equal(200);
  });
});
