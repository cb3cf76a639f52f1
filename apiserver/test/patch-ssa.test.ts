import { expect } from 'chai';
import type { ApiError } from '../src/errors.ts';
import { builtinPatchMeta, serverSideApply, updateManagedFields } from '../src/patch/index.ts';

const meta = builtinPatchMeta('Deployment');
const T1 = '2025-01-01T00:00:00Z';
const T2 = '2025-01-02T00:00:00Z';
const catchErr = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected an error');
};

function config(extra: any = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.24', ports: [{ containerPort: 80 }] }] } },
      ...extra,
    },
  };
}
const apply = (current: any, applied: any, manager: string, force = false, now = T1): any =>
  serverSideApply({ current, applied, manager, force, apiVersion: 'apps/v1', meta, now });
const entry = (obj: any, manager: string) => obj.metadata.managedFields.find((m: any) => m.manager === manager);

describe('patch: server-side apply', () => {
  it('creates with a FieldsV1 Apply entry', () => {
    const out = apply(undefined, config(), 'kubectl');
    expect(out.spec.replicas).to.equal(2);
    expect(out.metadata.managedFields).to.have.length(1);
    const e = out.metadata.managedFields[0];
    expect(e).to.include({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T1, fieldsType: 'FieldsV1' });
    expect(e.fieldsV1).to.deep.equal({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('conflicts with another manager that owns a field with a different value, and force takes it', () => {
    const created = apply(undefined, config(), 'kubectl');
    const scaled = updateManagedFields({
      old: created,
      updated: { ...created, spec: { ...created.spec, replicas: 5 } },
      manager: 'kubectl-scale',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T2,
    });
    expect(entry(scaled, 'kubectl-scale').fieldsV1).to.deep.equal({ 'f:spec': { 'f:replicas': {} } });
    expect(entry(scaled, 'kubectl').fieldsV1['f:spec']).not.to.have.property('f:replicas');

    const e = catchErr(() => apply(scaled, config(), 'kubectl'));
    expect(e.code).to.equal(409);
    expect(e.reason).to.equal('Conflict');
    expect(e.message).to.equal('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
    expect(e.details?.causes).to.deep.equal([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' },
    ]);

    const forced = apply(scaled, config(), 'kubectl', true, T2);
    expect(forced.spec.replicas).to.equal(2);
    expect(entry(forced, 'kubectl-scale')).to.equal(undefined);
    expect(entry(forced, 'kubectl').fieldsV1['f:spec']).to.have.property('f:replicas');
  });

  it('shares ownership when the value is the same, and counts conflicts per manager', () => {
    const a = apply(undefined, config(), 'a');
    const b = apply(a, config(), 'b');
    expect(b.metadata.managedFields.map((m: any) => m.manager)).to.have.members(['a', 'b']);
    const c = catchErr(() => apply(b, config({ replicas: 7, minReadySeconds: 3 }), 'c'));
    expect(c.message).to.match(/^Apply failed with 2 conflicts: conflicts with "a":\n- \.spec\.replicas\nconflicts with "b":\n- \.spec\.replicas$/);
  });

  it('removes fields the manager applied before and no longer applies, unless someone else owns them', () => {
    const first = apply(undefined, config({ minReadySeconds: 5, paused: false }), 'kubectl');
    const other = apply(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { paused: false } }, 'other');
    const second = apply(other, config(), 'kubectl');
    expect(second.spec).not.to.have.property('minReadySeconds');
    expect(second.spec.paused).to.equal(false);
  });

  it('lets two managers share a keyed list and removes only the items the applier dropped', () => {
    const withTwo = config();
    withTwo.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
    const first = apply(undefined, withTwo, 'kubectl');
    const other = apply(
      first,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { template: { spec: { containers: [{ name: 'extra', image: 'redis' }] } } },
      },
      'other',
    );
    expect(other.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['nginx', 'side', 'extra']);
    const dropped = apply(other, config(), 'kubectl');
    expect(dropped.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['nginx', 'extra']);
    expect(entry(dropped, 'other').fieldsV1['f:spec']['f:template']['f:spec']['f:containers']).to.have.property('k:{"name":"extra"}');
  });

  it('keeps the time when nothing changes and rejects managedFields, wrong kinds and missing managers', () => {
    const first = apply(undefined, config(), 'kubectl');
    const again = apply(first, config(), 'kubectl', false, T2);
    expect(entry(again, 'kubectl').time).to.equal(T1);
    const withMf = config();
    withMf.metadata.managedFields = [];
    expect(catchErr(() => apply(first, withMf, 'kubectl')).message).to.equal('metadata.managedFields must be nil');
    expect(catchErr(() => apply(first, { ...config(), kind: 'ReplicaSet' }, 'kubectl')).message).to.equal('invalid object type: apps/v1, Kind=ReplicaSet');
    expect(catchErr(() => apply(first, config(), '')).code).to.equal(422);
  });

  it('hands fields of objects without managedFields to before-first-apply', () => {
    const legacy = config();
    const e = catchErr(() => apply(legacy, config({ replicas: 9 }), 'kubectl'));
    expect(e.message).to.equal('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });

  it('lets kubectl take over fields from client-side apply when the live object matches last-applied', () => {
    const lastApplied = JSON.stringify(config());
    const csa = config();
    csa.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
    const created = updateManagedFields({
      old: undefined,
      updated: csa,
      manager: 'kubectl-client-side-apply',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T1,
    });
    const ssa = apply(created, config({ replicas: 4 }), 'kubectl', false, T2);
    expect(ssa.spec.replicas).to.equal(4);
    expect(JSON.parse(ssa.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec.replicas).to.equal(4);
    const other = catchErr(() => apply(created, config({ replicas: 4 }), 'someone-else'));
    expect(other.message).to.equal('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });
});

describe('patch: managed fields of updates', () => {
  it('records created fields, merges entries of one manager and resets on []', () => {
    const created: any = updateManagedFields({
      old: undefined,
      updated: config(),
      manager: 'kubectl-create',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T1,
    });
    const e = entry(created, 'kubectl-create');
    expect(e.operation).to.equal('Update');
    expect(e.fieldsV1['f:metadata']['f:labels']).to.deep.equal({ '.': {}, 'f:app': {} });
    expect(e.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:ports']).to.have.property('.');

    const labelled: any = updateManagedFields({
      old: created,
      updated: { ...created, metadata: { ...created.metadata, labels: { app: 'web', tier: 'x' } } },
      manager: 'kubectl-label',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T2,
    });
    expect(entry(labelled, 'kubectl-label').fieldsV1).to.deep.equal({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
    expect(entry(labelled, 'kubectl-label').time).to.equal(T2);

    const again: any = updateManagedFields({
      old: labelled,
      updated: { ...labelled, spec: { ...labelled.spec, replicas: 3 } },
      manager: 'kubectl-label',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T2,
    });
    expect(again.metadata.managedFields.filter((m: any) => m.manager === 'kubectl-label')).to.have.length(1);
    expect(entry(again, 'kubectl-label').fieldsV1['f:spec']).to.deep.equal({ 'f:replicas': {} });

    const reset: any = updateManagedFields({
      old: again,
      updated: { ...again, metadata: { ...again.metadata, managedFields: [] } },
      manager: 'kubectl-edit',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T2,
    });
    expect(reset.metadata).not.to.have.property('managedFields');
  });

  it('drops ownership of removed fields and leaves status to the status subresource', () => {
    const created: any = updateManagedFields({
      old: undefined,
      updated: { ...config(), status: { replicas: 1 } },
      manager: 'm',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T1,
    });
    expect(entry(created, 'm').fieldsV1).not.to.have.property('f:status');
    const { labels: _, ...metaNoLabels } = created.metadata;
    const removed: any = updateManagedFields({
      old: created,
      updated: { ...created, metadata: metaNoLabels },
      manager: 'other',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      now: T2,
    });
    expect(entry(removed, 'm').fieldsV1['f:metadata']).to.equal(undefined);
    expect(entry(removed, 'other')).to.equal(undefined);
    const status: any = updateManagedFields({
      old: created,
      updated: { ...created, status: { replicas: 2 } },
      manager: 'ctrl',
      apiVersion: 'apps/v1',
      operation: 'Update',
      meta,
      subresource: 'status',
      now: T2,
    });
    expect(entry(status, 'ctrl')).to.deep.include({ subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } });
  });
});
