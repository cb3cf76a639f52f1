import { expect } from 'chai';
import type { ApiError } from '../src/errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, builtinPatchMeta } from '../src/patch/index.ts';

function deployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.24', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '1000'] },
          ],
          tolerations: [{ key: 'x', operator: 'Exists' }],
        },
      },
    },
  };
}
const meta = builtinPatchMeta('Deployment');
const catchErr = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected an error');
};

describe('patch: JSON patch', () => {
  it('applies operations in order without touching the input', () => {
    const cur = deployment();
    const out: any = applyJsonPatch(
      cur,
      JSON.stringify([
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'add', path: '/metadata/labels/tier', value: 'front' },
        { op: 'remove', path: '/spec/template/spec/containers/1' },
      ]),
    );
    expect(out.spec.replicas).to.equal(5);
    expect(out.metadata.labels).to.deep.equal({ app: 'web', tier: 'front' });
    expect(out.spec.template.spec.containers).to.have.length(1);
    expect(cur.spec.replicas).to.equal(2);
  });
  it('answers 422 with the apimachinery wording for a failing test or a missing path', () => {
    for (const ops of [
      [{ op: 'test', path: '/spec/replicas', value: 9 }],
      [{ op: 'remove', path: '/spec/nope' }],
      [{ op: 'frobnicate', path: '/x' }],
      // a value moved inside itself (from a proper prefix of path): found by make fuzz
      [{ op: 'move', from: '', path: '/metadata/labels/x' }],
      [{ op: 'move', from: '/spec', path: '/spec/template/x' }],
    ]) {
      const e = catchErr(() => applyJsonPatch(deployment(), JSON.stringify(ops)));
      expect(e.code).to.equal(422);
      expect(e.reason).to.equal('Invalid');
      expect(e.message).to.equal('the server rejected our request due to an error in our request');
    }
  });
  it('answers 400 for a body that is no JSON patch', () => {
    expect(catchErr(() => applyJsonPatch(deployment(), '{"op":"add"}')).code).to.equal(400);
    expect(catchErr(() => applyJsonPatch(deployment(), 'not json')).code).to.equal(400);
  });
  it('answers 413 beyond 10000 operations', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Deployment' }));
    expect(catchErr(() => applyJsonPatch(deployment(), JSON.stringify(ops))).code).to.equal(413);
  });
});

describe('patch: merge patch', () => {
  it('merges maps, deletes on null and replaces lists', () => {
    const out: any = applyMergePatch(
      deployment(),
      Buffer.from(
        JSON.stringify({
          metadata: { labels: { app: null, tier: 'x' } },
          spec: { replicas: 3, template: { spec: { containers: [{ name: 'only', image: 'x' }] } } },
        }),
      ),
    );
    expect(out.metadata.labels).to.deep.equal({ tier: 'x' });
    expect(out.spec.replicas).to.equal(3);
    expect(out.spec.template.spec.containers).to.deep.equal([{ name: 'only', image: 'x' }]);
  });
  it('answers 422 when the patch turns the object into something else', () => {
    expect(catchErr(() => applyMergePatch(deployment(), '[1]')).code).to.equal(422);
  });
});

describe('patch: strategic merge patch', () => {
  it('merges containers by name and ports by containerPort, replaces lists without strategy', () => {
    const out: any = applyStrategicMergePatch(
      deployment(),
      JSON.stringify({
        spec: {
          template: {
            spec: {
              containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 443 }], env: [{ name: 'B', value: '2' }] }],
              tolerations: [{ key: 'y', operator: 'Exists' }],
            },
          },
        },
      }),
      meta,
    );
    const [nginx, sidecar] = out.spec.template.spec.containers;
    expect(nginx.image).to.equal('nginx:1.25');
    // apimachinery puts patch-only items before the server's ones
    expect(nginx.ports.map((p: any) => p.containerPort)).to.deep.equal([443, 80]);
    expect(nginx.env.map((e: any) => e.name)).to.deep.equal(['B', 'A']);
    expect(sidecar.name).to.equal('sidecar');
    expect(out.spec.template.spec.tolerations).to.deep.equal([{ key: 'y', operator: 'Exists' }]);
  });
  it('deletes a container with $patch: delete and nulls a key', () => {
    const out: any = applyStrategicMergePatch(
      deployment(),
      JSON.stringify({
        metadata: { labels: { app: null } },
        spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
      }),
      meta,
    );
    expect(out.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['nginx']);
    expect(out.metadata.labels).to.deep.equal({});
  });
  it('replaces a list or map with $patch: replace', () => {
    const out: any = applyStrategicMergePatch(
      deployment(),
      JSON.stringify({
        spec: {
          template: { spec: { containers: [{ name: 'solo', image: 'x' }, { $patch: 'replace' }] } },
          selector: { $patch: 'replace', matchLabels: { b: '1' } },
        },
      }),
      meta,
    );
    expect(out.spec.template.spec.containers).to.deep.equal([{ name: 'solo', image: 'x' }]);
    expect(out.spec.selector).to.deep.equal({ matchLabels: { b: '1' } });
  });
  it('applies the kubectl 3-way apply patch shape with $setElementOrder and $retainKeys', () => {
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web2' }, { name: 'nginx' }],
            containers: [
              { name: 'web2', image: 'httpd' },
              { name: 'nginx', image: 'nginx:1.26' },
            ],
          },
        },
      },
    };
    const out: any = applyStrategicMergePatch(deployment(), JSON.stringify(patch), meta);
    expect(out.spec.strategy).to.deep.equal({ type: 'Recreate' });
    expect(out.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['sidecar', 'web2', 'nginx']);
    expect(out.spec.template.spec.containers[2].image).to.equal('nginx:1.26');
    expect(JSON.stringify(out)).not.to.include('$');
  });
  it('deletes from primitive lists and merges set lists', () => {
    const out: any = applyStrategicMergePatch(
      deployment(),
      JSON.stringify({
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] },
      }),
      meta,
    );
    expect(out.metadata.finalizers).to.deep.equal(['c', 'b']);
  });
  it('rejects a $retainKeys list that misses a patched key, and unknown $patch values', () => {
    expect(
      catchErr(() => applyStrategicMergePatch(deployment(), JSON.stringify({ spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }), meta)).code,
    ).to.equal(400);
    expect(catchErr(() => applyStrategicMergePatch(deployment(), JSON.stringify({ spec: { $patch: 'bogus' } }), meta)).code).to.equal(400);
    expect(catchErr(() => applyStrategicMergePatch(deployment(), '[]', meta)).code).to.equal(400);
  });
});
