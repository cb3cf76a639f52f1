// The once-per-name rule for bootstrap joins, without a cluster: which of two requests for the
// same node name came first, when creation times only have whole seconds.
import { expect } from 'chai';
import { createNodeCsr, KUBELET_CLIENT_SIGNER } from '@skiff/common/bootstrap/csr';
import type { CsrObject } from '../src/controllers/certificates/approver.ts';
import { joinDenial, type JoinFacts } from '../src/controllers/certificates/join-once.ts';

async function bootstrapCsr(name: string, node: string, createdAt: string, approved = false): Promise<CsrObject> {
  const { csrPem } = await createNodeCsr(node);
  return {
    metadata: { name, creationTimestamp: createdAt },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: KUBELET_CLIENT_SIGNER,
      usages: ['digital signature', 'client auth'],
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:worker', 'system:authenticated'],
    },
    ...(approved ? { status: { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }] } } : {}),
  } as CsrObject;
}

const factsOf = (csrs: CsrObject[]): JoinFacts => ({ nodeExists: async () => false, csrs: () => csrs });

describe('certificates: a node name joins once', () => {
  const second = '2026-12-06T10:48:25Z';
  const now = Date.parse(second) + 1000;

  it('denies a second request in the same second as an approved one, whatever their names', async () => {
    // the approved request's generated name sorts after the new one's
    const approved = await bootstrapCsr('node-csr-zzzzz', 'w1', second, true);
    const again = await bootstrapCsr('node-csr-aaaaa', 'w1', second);
    const denial = await joinDenial(again, factsOf([approved, again]), now);
    expect(denial?.reason).to.equal('NodeNameAlreadyRequested');
    expect(denial?.message).to.contain('node-csr-zzzzz already asked for node "w1"');
    // and the approved one is not denied because of the newcomer
    expect(await joinDenial(approved, factsOf([approved, again]), now)).to.equal(undefined);
  });

  it('between two pending requests of the same second, exactly one goes first', async () => {
    const a = await bootstrapCsr('node-csr-aaaaa', 'w2', second);
    const b = await bootstrapCsr('node-csr-bbbbb', 'w2', second);
    const facts = factsOf([a, b]);
    expect(await joinDenial(a, facts, now)).to.equal(undefined);
    expect((await joinDenial(b, facts, now))?.reason).to.equal('NodeNameAlreadyRequested');
  });

  it('another name, or a request older than the window, does not count', async () => {
    const other = await bootstrapCsr('node-csr-zzzzz', 'w3', second, true);
    const old = await bootstrapCsr('node-csr-yyyyy', 'w4', '2026-12-06T08:00:00Z', true);
    const mine = await bootstrapCsr('node-csr-aaaaa', 'w4', second);
    expect(await joinDenial(mine, factsOf([other, old, mine]), now)).to.equal(undefined);
  });
});
