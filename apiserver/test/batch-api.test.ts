// batch/v1 Job and CronJob through the real kubectl: `kubectl create job/cronjob` (protobuf
// bodies from 1.32+), defaulting and the generated selector, validation with field causes,
// immutable fields, the `get` columns, `explain`, and the `all` category.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

describe('batch API: jobs and cronjobs', function () {
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
  const job = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } },
      ...spec,
    },
  });

  for (const version of ['1.27', '1.33']) {
    it(`kubectl ${version} create job: defaults, generated selector and labels`, async () => {
      const name = `pi-${version.replace('.', '-')}`;
      const r = await k(['create', 'job', name, '--image=busybox', '-o', 'json', '--', 'echo', 'hi'], undefined, version);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.spec).to.include({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
      const uid = j.metadata.uid;
      expect(j.spec.selector).to.deep.equal({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      expect(j.spec.template.metadata.labels).to.deep.equal({
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      });
      expect(j.spec.template.spec.restartPolicy).to.equal('Never');
      expect(j.spec.template.spec.containers[0].command).to.deep.equal(['echo', 'hi']);
    });
  }

  it('refuses bad jobs with 422 field causes', async () => {
    const bad = job('bad', {
      parallelism: -1,
      completionMode: 'Indexed',
      activeDeadlineSeconds: 0,
      template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } },
    });
    const r = await k(['create', '-f', '-'], JSON.stringify(bad));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('The Job "bad" is invalid');
    expect(r.stderr).to.include('spec.parallelism: Invalid value: -1: must be greater than or equal to 0');
    expect(r.stderr).to.include('spec.completions: Required value: when completion mode is Indexed');
    expect(r.stderr).to.include('spec.activeDeadlineSeconds: Invalid value: 0: must be greater than 0');
    expect(r.stderr).to.include('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  });

  it('refuses a selector that is not generated unless manualSelector, and a manual selector that misses the labels', async () => {
    const r1 = await k(['create', '-f', '-'], JSON.stringify(job('picky', { selector: { matchLabels: { app: 'x' } } })));
    expect(r1.stderr).to.include('`selector` not auto-generated');
    const r2 = await k(['create', '-f', '-'], JSON.stringify(job('manual', { manualSelector: true, selector: { matchLabels: { app: 'x' } } })));
    expect(r2.stderr).to.include('spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`');
    const ok = job('manual2', { manualSelector: true, selector: { matchLabels: { app: 'x' } } }) as any;
    ok.spec.template.metadata = { labels: { app: 'x' } };
    const r3 = await k(['create', '-f', '-'], JSON.stringify(ok));
    expect(r3.code, r3.stderr).to.equal(0);
  });

  it('validates podFailurePolicy and defaults its pod condition status', async () => {
    const policy = {
      rules: [
        { action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 3] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    };
    const r = await k(['create', '-f', '-'], JSON.stringify(job('pfp', { podFailurePolicy: policy })));
    expect(r.stderr).to.include('spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator');
    policy.rules[0].onExitCodes!.values = [3];
    const r2 = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(job('pfp', { podFailurePolicy: policy })));
    expect(r2.code, r2.stderr).to.equal(0);
    const j = JSON.parse(r2.stdout);
    expect(j.spec.podFailurePolicy.rules[1].onPodConditions[0]).to.deep.equal({ type: 'DisruptionTarget', status: 'True' });
    expect(j.spec.podReplacementPolicy).to.equal('Failed');
  });

  it('keeps the template immutable on a started Job, and completions', async () => {
    expect((await k(['create', '-f', '-'], JSON.stringify(job('fixed')))).code).to.equal(0);
    const r = await k(['patch', 'job', 'fixed', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}']);
    expect(r.stderr).to.include('spec.template: Invalid value');
    expect(r.stderr).to.include('field is immutable');
    const r2 = await k(['patch', 'job', 'fixed', '--type=merge', '-p', '{"spec":{"completions":3}}']);
    expect(r2.stderr).to.include('spec.completions: Invalid value: 3: field is immutable');
    // a suspended Job may change its scheduling directives
    expect((await k(['create', '-f', '-'], JSON.stringify(job('held', { suspend: true })))).code).to.equal(0);
    const r3 = await k(['patch', 'job', 'held', '--type=merge', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"}}}}}']);
    expect(r3.code, r3.stderr).to.equal(0);
  });

  it('prints jobs with STATUS, COMPLETIONS, DURATION as Kubernetes', async () => {
    const st = { startTime: '2024-01-01T00:00:00Z', completionTime: '2024-01-01T00:00:42Z', succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    expect((await k(['create', '-f', '-'], JSON.stringify(job('printed')))).code).to.equal(0);
    const p = await k(['patch', 'job', 'printed', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: st })]);
    expect(p.code, p.stderr).to.equal(0);
    const r = await k(['get', 'job', 'printed']);
    expect(r.stdout.split('\n')[0]).to.match(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(r.stdout.split('\n')[1]).to.match(/^printed\s+Complete\s+1\/1\s+42s\s+\S+$/);
  });

  it('kubectl create cronjob: defaults, schedule and time zone validation, columns', async () => {
    const r = await k(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '-o', 'json', '--', 'date']);
    expect(r.code, r.stderr).to.equal(0);
    const cj = JSON.parse(r.stdout);
    expect(cj.spec).to.include({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).to.equal('OnFailure');
    const g = await k(['get', 'cronjobs']);
    expect(g.stdout.split('\n')[0]).to.match(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(g.stdout).to.match(/tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>/);

    const bad = await k(['create', 'cronjob', 'oops', '--image=busybox', '--schedule=61 * * * *']);
    expect(bad.stderr).to.include('spec.schedule: Invalid value: "61 * * * *"');
    const cj2 = { ...cj, metadata: { name: 'zoned' }, spec: { ...cj.spec, timeZone: 'Mars/Olympus' } };
    delete cj2.status;
    const z = await k(['create', '-f', '-'], JSON.stringify(cj2));
    expect(z.stderr).to.include('spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
    cj2.spec.timeZone = 'Europe/Paris';
    cj2.spec.schedule = '@daily';
    expect((await k(['create', '-f', '-'], JSON.stringify(cj2))).code).to.equal(0);
    const long = await k(['create', 'cronjob', 'a'.repeat(53), '--image=busybox', '--schedule=@hourly']);
    expect(long.stderr).to.include('must be no more than 52 characters');
  });

  it('kubectl create job --from=cronjob/x copies the template and owner', async () => {
    expect((await k(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'true'])).code).to.equal(0);
    const r = await k(['create', 'job', 'manual-run', '--from=cronjob/nightly', '-o', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.metadata.annotations['cronjob.kubernetes.io/instantiate']).to.equal('manual');
    expect(j.metadata.ownerReferences[0]).to.include({ kind: 'CronJob', name: 'nightly' });
  });

  it('explains job fields and lists jobs and cronjobs in the all category', async () => {
    const e = await k(['explain', 'job.spec.backoffLimit']);
    expect(e.code, e.stderr).to.equal(0);
    expect(e.stdout).to.include('backoffLimit');
    const all = await k(['get', 'all', '-o', 'name']);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.include('job.batch/printed');
    expect(all.stdout).to.include('cronjob.batch/tick');
    const cj = await k(['get', 'cj', '-o', 'name']);
    expect(cj.stdout).to.include('cronjob.batch/tick');
  });
});
