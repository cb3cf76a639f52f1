// Node CSRs end to end without a cluster: built as the kubelet builds them, judged by the
// approver, signed with a CA from scripts/pki.sh, and the result checked with node's own X.509.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { sharedPki } from '@skiff/common/testing/index';
import { createNodeCsr, parseCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER } from '@skiff/common/bootstrap/csr';
import { approvalDecision, type CsrObject } from '../src/controllers/certificates/approver.ts';
import { ClusterSigner } from '../src/controllers/certificates/signer.ts';
import { problemsForSigner } from '../src/controllers/certificates/node-csr.ts';

function csrObject(pem: string, spec: Partial<NonNullable<CsrObject['spec']>>): CsrObject {
  return {
    metadata: { name: 'node-csr-x' },
    spec: { request: Buffer.from(pem).toString('base64'), usages: ['digital signature', 'client auth'], signerName: KUBELET_CLIENT_SIGNER, ...spec },
  };
}

const bootstrapper = { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:worker', 'system:authenticated'] };

describe('certificates: node CSRs', () => {
  let caPem: string;
  let caKeyPem: string;
  before(async function () {
    this.timeout(60_000);
    const pki = await sharedPki();
    caPem = readFileSync(pki.caCert, 'utf8');
    caKeyPem = readFileSync(pki.caKey, 'utf8');
  });

  it('builds a CSR for system:node:NAME in system:nodes', async () => {
    const { csrPem, keyPem } = await createNodeCsr('w1');
    const parsed = parseCsr(csrPem);
    expect(parsed.commonNames).to.deep.equal(['system:node:w1']);
    expect(parsed.organizations).to.deep.equal(['system:nodes']);
    expect(await parsed.request.verify()).to.equal(true);
    expect(keyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('approves client CSRs from bootstrappers and from the node itself, nothing else', async () => {
    const { csrPem } = await createNodeCsr('w1');
    expect(approvalDecision(csrObject(csrPem, bootstrapper), { approveKubeletServing: true })).to.include({ approve: true, reason: 'AutoApproved' });
    expect(
      approvalDecision(csrObject(csrPem, { username: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] }), { approveKubeletServing: true })
        .approve,
    ).to.equal(true);
    // another node may not renew w1's certificate
    expect(approvalDecision(csrObject(csrPem, { username: 'system:node:w2', groups: ['system:nodes'] }), { approveKubeletServing: true }).approve).to.equal(
      false,
    );
    expect(approvalDecision(csrObject(csrPem, { username: 'alice', groups: ['system:authenticated'] }), { approveKubeletServing: true }).approve).to.equal(
      false,
    );
    // wrong usages, wrong signer, already decided
    expect(
      approvalDecision(csrObject(csrPem, { ...bootstrapper, usages: ['digital signature', 'server auth'] }), { approveKubeletServing: true }).approve,
    ).to.equal(false);
    expect(
      approvalDecision(csrObject(csrPem, { ...bootstrapper, signerName: 'kubernetes.io/kube-apiserver-client' }), { approveKubeletServing: true }).approve,
    ).to.equal(false);
    const denied = csrObject(csrPem, bootstrapper);
    denied.status = { conditions: [{ type: 'Denied', status: 'True' }] };
    expect(approvalDecision(denied, { approveKubeletServing: true }).approve).to.equal(false);
  });

  it('refuses a bootstrapper asking for another subject', async () => {
    const { x509 } = await import('@skiff/common/bootstrap/x509');
    const { webcrypto } = await import('node:crypto');
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const evil = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=system:masters, CN=system:node:w1', keys: keys as any, signingAlgorithm: alg });
    const d = approvalDecision(csrObject(evil.toString('pem'), bootstrapper), { approveKubeletServing: true });
    expect(d).to.deep.include({ approve: false });
    // a bootstrap token is good for node client certificates only: this is denied, not left waiting
    expect(d.approve === false && d.deny?.reason).to.equal('NotANodeClientRequest');
    // the same request from someone else waits for a human
    const fromAlice = approvalDecision(csrObject(evil.toString('pem'), { username: 'alice', groups: ['system:authenticated'] }), {
      approveKubeletServing: true,
    });
    expect(fromAlice.approve === false && fromAlice.deny).to.equal(undefined);
  });

  it('signs a client CSR with the cluster CA', async () => {
    const { csrPem } = await createNodeCsr('w1');
    const signer = await ClusterSigner.fromPem(caPem, caKeyPem);
    const usages = ['digital signature', 'client auth'];
    expect(problemsForSigner(KUBELET_CLIENT_SIGNER, parseCsr(csrPem), usages)).to.deep.equal([]);
    const pem = await signer.sign({ csr: parseCsr(csrPem), usages, expirationSeconds: 3600 });
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(caPem);
    expect(cert.checkIssued(ca)).to.equal(true);
    expect(cert.verify(ca.publicKey)).to.equal(true);
    expect(cert.subject.split('\n')).to.deep.equal(['O=system:nodes', 'CN=system:node:w1']);
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).to.equal(false);
    const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(lifetime).to.be.within((3600 + 300 - 2) * 1000, (3600 + 300 + 2) * 1000); // backdated 5 minutes
  });

  it('signs a serving CSR with the node IPs as SANs, refusing client usages on it', async () => {
    const { csrPem } = await createNodeCsr('w1', { ipAddresses: ['10.0.0.7'], dnsNames: ['w1'] });
    const parsed = parseCsr(csrPem);
    expect(parsed.ipAddresses).to.deep.equal(['10.0.0.7']);
    expect(problemsForSigner(KUBELET_SERVING_SIGNER, parsed, ['digital signature', 'client auth'])).to.not.be.empty;
    const usages = ['digital signature', 'server auth'];
    expect(problemsForSigner(KUBELET_SERVING_SIGNER, parsed, usages)).to.deep.equal([]);
    const cert = new X509Certificate(await (await ClusterSigner.fromPem(caPem, caKeyPem)).sign({ csr: parsed, usages }));
    expect(cert.subjectAltName).to.equal('DNS:w1, IP Address:10.0.0.7');
    expect(cert.checkIP('10.0.0.7')).to.equal('10.0.0.7');
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
    // a serving CSR for w1 from a bootstrapper is not auto-approved; from w1 itself it is
    const obj = csrObject(csrPem, { signerName: KUBELET_SERVING_SIGNER, usages, ...bootstrapper });
    expect(approvalDecision(obj, { approveKubeletServing: true }).approve).to.equal(false);
    const own = csrObject(csrPem, { signerName: KUBELET_SERVING_SIGNER, usages, username: 'system:node:w1', groups: ['system:nodes'] });
    expect(approvalDecision(own, { approveKubeletServing: true }).approve).to.equal(true);
    expect(approvalDecision(own, { approveKubeletServing: false }).approve).to.equal(false);
  });
});
