// PodSecurity through the real kubectl: enforce refuses with upstream's message, warn returns
// Warning headers kubectl prints, workloads are warned about their templates, and labelling a
// namespace enforce=restricted warns about the pods already there.
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import type { KubectlResult } from '@skiff/common/testing/index';

const pod = (ns: string, name: string, container: object = {}, spec: object = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx', ...container }], ...spec },
  });

const hardened = {
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
};

const restrictedMessage =
  'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('admission: PodSecurity through kubectl', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const k = (args: string[], stdin?: string): Promise<KubectlResult> => cluster.server.kubectl('1.32', args, { stdin });

  before(async () => {
    for (const ns of ['psa-enforce', 'psa-warn', 'psa-label', 'psa-baseline']) expect((await k(['create', 'namespace', ns])).code).to.equal(0);
  });

  it('enforce=restricted refuses a plain pod with 403 and upstream message, admits a hardened one', async () => {
    const l = await k(['label', 'namespace', 'psa-enforce', 'pod-security.kubernetes.io/enforce=restricted']);
    expect(l.code, l.stderr).to.equal(0);
    const r = await k(['create', '-f', '-'], pod('psa-enforce', 'plain'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(`Error from server (Forbidden): error when creating "STDIN": pods "plain" is forbidden: ${restrictedMessage}`);
    expect((await k(['get', 'pod', 'plain', '-n', 'psa-enforce'])).code).to.not.equal(0);
    const ok = await k(['create', '-f', '-'], pod('psa-enforce', 'hardened', hardened));
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stderr).to.not.contain('Warning');
  });

  it('enforce=baseline refuses host namespaces, privileged containers and hostPath volumes, naming each', async () => {
    expect((await k(['label', 'namespace', 'psa-baseline', 'pod-security.kubernetes.io/enforce=baseline'])).code).to.equal(0);
    const r = await k(
      ['create', '-f', '-'],
      pod(
        'psa-baseline',
        'root',
        { securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } }, ports: [{ containerPort: 80, hostPort: 8080 }] },
        { hostNetwork: true, volumes: [{ name: 'host', hostPath: { path: '/' } }] },
      ),
    );
    expect(r.stderr).to.contain(
      'pods "root" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "c" uses hostPort 8080), ' +
        'privileged (container "c" must not set securityContext.privileged=true), ' +
        'non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add), hostPath volumes (volume "host")',
    );
    // a plain pod is fine at baseline
    expect((await k(['create', '-f', '-'], pod('psa-baseline', 'plain'))).code).to.equal(0);
  });

  it('warn=restricted admits the pod and kubectl prints the Warning; workloads are warned about their template', async () => {
    expect((await k(['label', 'namespace', 'psa-warn', 'pod-security.kubernetes.io/warn=restricted'])).code).to.equal(0);
    const r = await k(['create', '-f', '-'], pod('psa-warn', 'plain'));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain(`Warning: would ${restrictedMessage.replace('violates', 'violate')}`);
    const d = await k(['create', 'deployment', 'web', '--image=nginx', '-n', 'psa-warn']);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stderr).to.contain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set');
    // an update that leaves the template alone is not judged again
    const scaled = await k(['label', 'deployment', 'web', 'tier=front', '-n', 'psa-warn']);
    expect(scaled.code, scaled.stderr).to.equal(0);
    expect(scaled.stderr).to.not.contain('Warning');
  });

  it('kubectl label ns enforce=restricted warns about existing violating pods, as upstream', async () => {
    for (const name of ['a', 'b', 'c']) expect((await k(['create', '-f', '-'], pod('psa-label', name))).code).to.equal(0);
    expect((await k(['create', '-f', '-'], pod('psa-label', 'ok', hardened))).code).to.equal(0);
    const r = await k(['label', 'namespace', 'psa-label', 'pod-security.kubernetes.io/enforce=restricted']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('namespace/psa-label labeled');
    expect(r.stderr).to.equal(
      'Warning: existing pods in namespace "psa-label" violate the new PodSecurity enforce level "restricted:latest"\n' +
        'Warning: a (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\n',
    );
  });

  it('a bad level label is refused with 422', async () => {
    const r = await k(['label', 'namespace', 'psa-label', '--overwrite', 'pod-security.kubernetes.io/warn=strict']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of privileged, baseline, restricted');
  });
});
