// kube's crdRegistrationController through the real kubectl: each group/version a CRD serves
// gets a Local APIService (automanaged=true, priorities 1000/100), which goes once no CRD
// serves that group/version any more, while the built-in groups' Local APIServices stay.
import { expect } from 'chai';
import { until, useApiserver } from '@skiff/common/testing/index';

const v = '1.33';
const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };

function crd(plural: string, kind: string, versions: { name: string; served: boolean; storage: boolean }[]) {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.reg.example.com` },
    spec: { group: 'reg.example.com', scope: 'Namespaced', names: { plural, kind }, versions: versions.map((x) => ({ ...x, schema })) },
  });
}

describe('CRDs: Local APIServices for their group/versions', function () {
  this.timeout(90_000);
  const cluster = useApiserver();
  const run = (args: string[], stdin?: string) => cluster.server.kubectl(v, args, stdin === undefined ? {} : { stdin });
  const k = async (args: string[], stdin?: string) => {
    const r = await run(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const listed = async (name: string) => new RegExp(`^${name.replaceAll('.', '\\.')}\\s+Local\\s`, 'm').test(await k(['get', 'apiservices']));

  it('registers one per served version, as Local, automanaged with the CRD priorities', async () => {
    await k(
      ['apply', '-f', '-'],
      crd('things', 'Thing', [
        { name: 'v1', served: true, storage: true },
        { name: 'v2', served: true, storage: false },
      ]),
    );
    await until('v1 and v2 APIServices', async () => (await listed('v1.reg.example.com')) && (await listed('v2.reg.example.com')), 20_000);
    const svc = JSON.parse(await k(['get', 'apiservice', 'v1.reg.example.com', '-o', 'json']));
    expect(svc.spec).to.deep.equal({ group: 'reg.example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
    expect(svc.metadata.labels).to.include({ 'kube-aggregator.kubernetes.io/automanaged': 'true' });
  });

  it('removes the APIService of a version no longer served', async () => {
    await k(
      ['apply', '-f', '-'],
      crd('things', 'Thing', [
        { name: 'v1', served: true, storage: true },
        { name: 'v2', served: false, storage: false },
      ]),
    );
    await until('v2 APIService gone', async () => !(await listed('v2.reg.example.com')), 20_000);
    expect(await listed('v1.reg.example.com')).to.equal(true);
  });

  it('keeps the group/version while another CRD still serves it, removes it after the last', async () => {
    await k(['apply', '-f', '-'], crd('others', 'Other', [{ name: 'v1', served: true, storage: true }]));
    await k(['wait', '--for=condition=Established', '--timeout=10s', 'crd/others.reg.example.com']);
    await k(['delete', 'crd', 'things.reg.example.com', '--timeout=20s']);
    // deleted, and the controller has seen it: a fresh CRD group shows up only after that event
    await k(['apply', '-f', '-'], crd('probes', 'Probe', [{ name: 'v9', served: true, storage: true }]));
    await until('v9 APIService', () => listed('v9.reg.example.com'), 20_000);
    expect(await listed('v1.reg.example.com')).to.equal(true);
    await k(['delete', 'crd', 'others.reg.example.com', '--timeout=20s']);
    await until('v1 APIService gone', async () => !(await listed('v1.reg.example.com')), 20_000);
    // the built-in groups are untouched
    expect(await listed('v1.apps')).to.equal(true);
  });
});
