// Node CSRs end to end without a cluster: built as the kubelet builds them, judged by the
// approver, signed with a CA from scripts/pki.sh, and the result checked with node's own X.509.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { sharedPki } from '@skiff/common/testing/index';
import { createNodeCsr, parseCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER } from '@skiff/common/bootstrap/csr';
import { approvalDecision, type CsrObject } from '../src/controllers/certificates/approver.ts';
import { ClusterSigner } from '../src/controllers/certificates/signer.ts';
import { kubeletServingSanProblems, problemsForSigner } from '../src/controllers/certificates/node-csr.ts';

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
    // a serving CSR for w1 from a bootstrapper is not auto-approved; from w1 itself it is,
    // once its Node reports the addresses it names
    const node = (name: string) => (name === 'w1' ? w1 : undefined);
    const obj = csrObject(csrPem, { signerName: KUBELET_SERVING_SIGNER, usages, ...bootstrapper });
    expect(approvalDecision(obj, { approveKubeletServing: true, node }).approve).to.equal(false);
    const own = csrObject(csrPem, { signerName: KUBELET_SERVING_SIGNER, usages, username: 'system:node:w1', groups: ['system:nodes'] });
    expect(approvalDecision(own, { approveKubeletServing: true, node })).to.include({ approve: true, reason: 'AutoApproved' });
    expect(approvalDecision(own, { approveKubeletServing: false, node }).approve).to.equal(false);
    // no Node yet: it waits (pending, not denied)
    expect(approvalDecision(own, { approveKubeletServing: true, node: () => undefined })).to.deep.equal({
      approve: false,
      why: 'node w1 is not registered yet: its addresses are unknown',
    });
  });

  const w1 = {
    metadata: { name: 'w1' },
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.7' },
        { type: 'ExternalIP', address: '2001:db8::7' },
        { type: 'Hostname', address: 'worker-one' },
      ],
    },
  };

  it("approves a serving CSR only for the node's own names and addresses, denying any other SAN", async () => {
    const usages = ['digital signature', 'server auth'];
    const node = (name: string) => (name === 'w1' ? w1 : undefined);
    const judge = async (sans: { ipAddresses?: string[]; dnsNames?: string[] }) => {
      const { csrPem } = await createNodeCsr('w1', { ipAddresses: sans.ipAddresses ?? [], dnsNames: sans.dnsNames ?? [] });
      const parsed = parseCsr(csrPem);
      const decision = approvalDecision(
        csrObject(csrPem, { signerName: KUBELET_SERVING_SIGNER, usages, username: 'system:node:w1', groups: ['system:nodes'] }),
        {
          approveKubeletServing: true,
          node,
        },
      );
      return { problems: kubeletServingSanProblems(parsed, w1), decision };
    };
    // its name, its Hostname address, its InternalIP and ExternalIP (any spelling of the IPv6 one)
    for (const sans of [
      { dnsNames: ['w1'], ipAddresses: ['10.0.0.7'] },
      { dnsNames: ['worker-one', 'W1'] },
      { ipAddresses: ['2001:0db8:0000:0000:0000:0000:0000:0007', '10.0.0.7'] },
    ]) {
      const { problems, decision } = await judge(sans);
      expect(problems, JSON.stringify(sans)).to.deep.equal([]);
      expect(decision.approve, JSON.stringify(sans)).to.equal(true);
    }
    // another node's address, a Service name, loopback, another node's name: denied with a reason
    for (const [sans, bad] of [
      [{ dnsNames: ['w1'], ipAddresses: ['10.0.0.8'] }, /IP addresses \[10\.0\.0\.8\] are not among node w1's addresses/],
      [{ dnsNames: ['w1', 'kubernetes.default.svc'] }, /DNS names \[kubernetes\.default\.svc\] are not node w1's/],
      [{ ipAddresses: ['127.0.0.1'] }, /IP addresses \[127\.0\.0\.1\]/],
      [{ dnsNames: ['w2'] }, /DNS names \[w2\]/],
    ] as [{ dnsNames?: string[]; ipAddresses?: string[] }, RegExp][]) {
      const { problems, decision } = await judge(sans);
      expect(problems.join('; '), JSON.stringify(sans)).to.match(bad);
      expect(decision.approve, JSON.stringify(sans)).to.equal(false);
      expect((decision as { deny?: { reason: string; message: string } }).deny, JSON.stringify(sans)).to.deep.include({ reason: 'SubjectAltNamesNotOwned' });
    }
  });

  it('leaves a serving CSR that also asks for client usage pending (not ours to judge)', async () => {
    const { csrPem } = await createNodeCsr('w1', { ipAddresses: ['10.0.0.7'], dnsNames: ['w1'] });
    const node = () => w1;
    const fromW1 = { signerName: KUBELET_SERVING_SIGNER, username: 'system:node:w1', groups: ['system:nodes'] };
    const withClient = approvalDecision(csrObject(csrPem, { ...fromW1, usages: ['digital signature', 'server auth', 'client auth'] }), {
      approveKubeletServing: true,
      node,
    });
    expect(withClient).to.deep.include({ approve: false });
    expect((withClient as { why: string }).why).to.match(/usage "client auth" is not allowed/);
  });
});
