// apps/v1 DaemonSet through the real kubectl: defaults, validation with field causes, the
// template generation, the status subresource and the printed columns.
import { expect } from 'chai';
import { decodeProtobufObject, encodeProtobufObject } from '../src/protobuf/index.ts';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

const ds = (name: string, extra: Record<string, any> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'busybox:1.36' }] } },
    ...extra,
  },
});

describe('apps/v1 daemonsets', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    server = await startApiserver({ etcdUrl: (await sharedEtcd()).url });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string, version = '1.33') => server.kubectl(version, args, { stdin });

  it('defaults the update strategy, history limit and the pod template as Kubernetes does', async () => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(ds('agent')));
    expect(r.code, r.stderr).to.equal(0);
    const o = JSON.parse(r.stdout);
    expect(o.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(o.spec.revisionHistoryLimit).to.equal(10);
    expect(o.spec.template.spec).to.include({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    expect(o.spec.template.spec.containers[0]).to.include({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    expect(o.metadata.generation).to.equal(1);
    expect(o.metadata.annotations['deprecated.daemonset.template.generation']).to.equal('1');
    expect(o.status).to.include({ desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0, numberMisscheduled: 0 });
  });

  it('bumps generation and template generation on a template change, generation only on other spec changes', async () => {
    const img = await k(['set', 'image', 'ds/agent', 'agent=busybox:1.37']);
    expect(img.code, img.stderr).to.equal(0);
    let o = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(o.metadata.generation).to.equal(2);
    expect(o.metadata.annotations['deprecated.daemonset.template.generation']).to.equal('2');
    const limit = await k(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"revisionHistoryLimit":3}}']);
    expect(limit.code, limit.stderr).to.equal(0);
    o = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(o.metadata.generation).to.equal(3);
    expect(o.metadata.annotations['deprecated.daemonset.template.generation']).to.equal('2');
    // a client cannot move the template generation
    const forged = await k(['annotate', '--overwrite', 'ds', 'agent', 'deprecated.daemonset.template.generation=9']);
    expect(forged.code, forged.stderr).to.equal(0);
    o = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(o.metadata.annotations['deprecated.daemonset.template.generation']).to.equal('2');
  });

  it('refuses bad specs with 422 field causes', async () => {
    const cases: Array<[Record<string, any>, string[]]> = [
      [{ ...ds('nosel').spec, selector: undefined }, ['spec.selector: Required value']],
      [
        { ...ds('mismatch').spec, selector: { matchLabels: { app: 'other' } } },
        ['spec.template.metadata.labels: Invalid value', '`selector` does not match template `labels`'],
      ],
      [
        {
          ...ds('restart').spec,
          template: { ...ds('restart').spec.template, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'busybox' }] } },
        },
        ['spec.template.spec.restartPolicy: Unsupported value: "Never"'],
      ],
      [
        { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
        ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
      ],
      [
        { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } },
        ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
      ],
      [
        { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } },
        ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
      ],
      [{ updateStrategy: { type: 'Sometimes' } }, ['spec.updateStrategy: Unsupported value: "Sometimes"']],
      [{ revisionHistoryLimit: -1 }, ['spec.revisionHistoryLimit: Invalid value: -1']],
    ];
    for (const [spec, messages] of cases) {
      const body = { ...ds('bad'), spec: { ...ds('bad').spec, ...spec } };
      const r = await k(['create', '-f', '-'], JSON.stringify(body));
      expect(r.code, JSON.stringify(spec)).to.not.equal(0);
      expect(r.stderr).to.contain('is invalid');
      for (const m of messages) expect(r.stderr, r.stderr).to.contain(m);
    }
    const raw = await server.request('POST', '/apis/apps/v1/namespaces/default/daemonsets', {
      body: { ...ds('bad'), spec: { ...ds('bad').spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } } },
    });
    expect(raw.status).to.equal(422);
    const status = JSON.parse(raw.body);
    expect(status.reason).to.equal('Invalid');
    expect(status.details.causes.map((c: any) => c.field)).to.deep.equal(['spec.updateStrategy.rollingUpdate.maxUnavailable']);
  });

  it('keeps the selector immutable and accepts OnDelete and a surge-only rollout', async () => {
    const sel = await k(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"selector":{"matchLabels":{"app":"agent","x":"y"}}}}']);
    expect(sel.code).to.not.equal(0);
    expect(sel.stderr).to.contain('spec.selector').and.to.contain('field is immutable');
    const ondelete = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(ds('ondelete', { updateStrategy: { type: 'OnDelete' } })));
    expect(ondelete.code, ondelete.stderr).to.equal(0);
    expect(JSON.parse(ondelete.stdout).spec.updateStrategy).to.deep.equal({ type: 'OnDelete' });
    const surge = await k(
      ['create', '-f', '-', '-o', 'json'],
      JSON.stringify(ds('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } } })),
    );
    expect(surge.code, surge.stderr).to.equal(0);
    expect(JSON.parse(surge.stdout).spec.updateStrategy.rollingUpdate).to.deep.equal({ maxUnavailable: 0, maxSurge: '25%' });
  });

  it('writes status only through /status, and prints the DaemonSet columns', async () => {
    const status = {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 2,
      numberMisscheduled: 0,
    };
    const main = await k(['patch', 'ds', 'agent', '--type=merge', '-p', JSON.stringify({ status })]);
    expect(main.code, main.stderr).to.equal(0);
    let o = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(o.status.desiredNumberScheduled).to.equal(0);
    const sub = await k(['patch', 'ds', 'agent', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    expect(sub.code, sub.stderr).to.equal(0);
    o = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(o.status).to.include(status);
    const negative = await k(['patch', 'ds', 'agent', '--subresource=status', '--type=merge', '-p', '{"status":{"numberReady":-1}}']);
    expect(negative.code).to.not.equal(0);
    expect(negative.stderr).to.contain('status.numberReady: Invalid value: -1');

    const sel = await k(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"}}}}}']);
    expect(sel.code, sel.stderr).to.equal(0);
    for (const version of ['1.33', '1.27']) {
      const table = await k(['get', 'ds', 'agent'], undefined, version);
      expect(table.code, table.stderr).to.equal(0);
      const [header, row] = table.stdout.trim().split('\n');
      expect(header).to.match(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
      expect(row).to.match(/^agent\s+3\s+3\s+2\s+1\s+2\s+disk=ssd\s+\S+$/);
    }
    const wide = await k(['get', 'daemonsets', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).to.match(/CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide.stdout).to.match(/agent .* agent\s+busybox:1\.37\s+app=agent/);
  });

  it('round-trips through protobuf with IntOrString rolling-update fields and status counts', async () => {
    const json = JSON.parse((await k(['get', 'ds', 'surge', '-o', 'json'])).stdout);
    const back = decodeProtobufObject(encodeProtobufObject(json)).object as any;
    expect(back.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
    expect(back.spec.template).to.deep.equal(json.spec.template);
    expect(back.metadata.annotations).to.deep.equal(json.metadata.annotations);
    const agent = JSON.parse((await k(['get', 'ds', 'agent', '-o', 'json'])).stdout);
    expect(decodeProtobufObject(encodeProtobufObject(agent)).object.status).to.deep.equal(agent.status);
  });

  it('is described by kubectl describe', async () => {
    const r = await k(['describe', 'ds', 'agent']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Selector:\s+app=agent/);
    expect(r.stdout).to.match(/Node-Selector:\s+disk=ssd/);
    expect(r.stdout).to.match(/Desired Number of Nodes Scheduled: 3/);
  });

  it('is in discovery as ds in the all category', async () => {
    const r = await k(['api-resources', '--api-group=apps', '-o', 'wide']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/daemonsets\s+ds\s+apps\/v1\s+true\s+DaemonSet\s+.*all/);
    const all = await k(['get', 'all']);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.contain('daemonset.apps/agent');
  });
});
