// The Pod Security Standards checks, called directly: one case per check and level, worded
// as pod-security-admission words them.
import { expect } from 'chai';
import { evaluatePod, forbiddenDetail, policyFromLabels } from '../src/admission/plugins/pod-security/policy.ts';

const hardened = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const spec = (containerSc: object = hardened, podSpec: object = {}, names = ['c']) => ({
  containers: names.map((name) => ({ name, image: 'x', securityContext: containerSc })),
  ...podSpec,
});
const detail = (level: 'baseline' | 'restricted', s: object, meta: object = {}) => forbiddenDetail(evaluatePod(level, meta, s));

describe('PodSecurity checks', () => {
  it('a hardened pod passes restricted and baseline; privileged checks nothing', () => {
    expect(evaluatePod('restricted', {}, spec())).to.deep.equal([]);
    expect(evaluatePod('baseline', {}, spec({}))).to.deep.equal([]);
    expect(evaluatePod('privileged', {}, spec({ privileged: true }, { hostPID: true }))).to.deep.equal([]);
  });

  it('runAsUser=0 and runAsNonRoot=false name the pod and the containers', () => {
    expect(detail('restricted', spec({ ...hardened, runAsUser: 0, runAsNonRoot: false }, { securityContext: { runAsUser: 0 } }))).to.equal(
      'runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod and container "c" must not set runAsUser=0)',
    );
  });

  it('capabilities: drop ALL is required, only NET_BIND_SERVICE may be added; plural container lists', () => {
    expect(detail('restricted', spec({ ...hardened, capabilities: { add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] } }, {}, ['a', 'b']))).to.equal(
      'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
    );
  });

  it('restricted volume types, seccomp Unconfined and sysctls', () => {
    const s = spec(
      { ...hardened, seccompProfile: { type: 'Unconfined' } },
      {
        volumes: [
          { name: 'v', nfs: { server: 'x', path: '/' } },
          { name: 'ok', emptyDir: {} },
        ],
        securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] },
      },
    );
    expect(detail('restricted', s)).to.equal(
      'forbidden sysctls (kernel.msgmax), restricted volume types (volume "v" uses restricted volume type "nfs"), seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    expect(detail('baseline', s)).to.equal(
      'forbidden sysctls (kernel.msgmax), seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
  });

  it('baseline: seLinuxOptions, procMount, hostProcess, AppArmor', () => {
    const s = spec(
      { seLinuxOptions: { type: 'spc_t' }, procMount: 'Unmasked', windowsOptions: { hostProcess: true }, appArmorProfile: { type: 'Unconfined' } },
      { hostIPC: true },
    );
    expect(detail('baseline', s)).to.equal(
      'forbidden AppArmor profiles (container "c" must not set securityContext.appArmorProfile.type to "Unconfined"), host namespaces (hostIPC=true), ' +
        'procMount (container "c" must not set securityContext.procMount to "Unmasked"), seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"), ' +
        'hostProcess (container "c" must not set securityContext.windowsOptions.hostProcess=true)',
    );
  });

  it('namespace labels: unset modes are privileged:latest; bad levels and versions are errors', () => {
    const { policy, errors } = policyFromLabels({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
      'pod-security.kubernetes.io/warn': 'nope',
      'pod-security.kubernetes.io/audit-version': '1.2',
    });
    expect(policy.enforce).to.deep.equal({ level: 'baseline', version: 'v1.30' });
    expect(policy.audit).to.deep.equal({ level: 'privileged', version: 'latest' });
    expect(errors.map((e) => e.label)).to.deep.equal(['pod-security.kubernetes.io/audit-version', 'pod-security.kubernetes.io/warn']);
  });
});
