// Writes through the real kubectl where Kubernetes' decoding and field ownership matter:
// replace of a defaulted object, client-side apply followed by server-side apply, and a body of
// the wrong kind posted to a collection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { removeOnExit, useApiserver } from '@skiff/common/testing/index';
import type { KubectlResult } from '@skiff/common/testing/index';

const versions = (process.env.SKIFF_KUBECTL_VERSIONS ?? '1.27,1.33').split(',');

const pod = (ns: string) => `apiVersion: v1
kind: Pod
metadata:
  name: replaced
  namespace: ${ns}
  labels: { app: replaced }
spec:
  serviceAccountName: default
  containers:
  - name: web
    image: 127.0.0.1:5000/skiff/web:latest
    ports: [{ containerPort: 8080 }]
`;

// cpu 0.5 is stored as 500m: the live object differs from the last-applied annotation there,
// which must not stop kubectl from taking over the fields that still match
const labelled = (ns: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: migrated
  namespace: ${ns}
  labels: { app: migrated, tier: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: migrated } }
  template:
    metadata: { labels: { app: migrated } }
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/skiff/web:latest
        resources: { requests: { cpu: 0.5 } }
`;

describe('kubectl writes that depend on decoding and field ownership', function () {
  this.timeout(180_000);
  const cluster = useApiserver();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-writes-'));
  removeOnExit(dir);

  for (const v of versions) {
    describe(`kubectl ${v}`, () => {
      const ns = `writes-${v.replace('.', '-')}`;
      const k = async (args: string[], opts: { stdin?: string } = {}): Promise<KubectlResult> =>
        cluster.server.kubectl(v, args, { ...opts, cacheDir: join(dir, `cache-${v}`) });
      const ok = async (args: string[], opts: { stdin?: string } = {}): Promise<string> => {
        const r = await k(args, opts);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
        return r.stdout;
      };
      const file = (name: string, text: string): string => {
        const path = join(dir, `${v}-${name}`);
        writeFileSync(path, text);
        return path;
      };

      before(async () => {
        await ok(['create', 'namespace', ns]);
      });

      it('replace --save-config of an unchanged, freshly created pod succeeds', async () => {
        const path = file('pod.yaml', pod(ns));
        await ok(['create', '-f', path]);
        expect(await ok(['replace', '--save-config', '-f', path])).to.contain('pod/replaced replaced');
        const live = JSON.parse(await ok(['get', 'pod', 'replaced', '-n', ns, '-o', 'json']));
        expect(JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).metadata.name).to.equal('replaced');
        // the defaults are still there, and a real change is still refused
        expect(live.spec.containers[0].imagePullPolicy).to.equal('Always');
        const changed = await k(['replace', '-f', file('pod-changed.yaml', pod(ns).replace('containerPort: 8080', 'containerPort: 9090'))]);
        expect(changed.code).to.not.equal(0);
        expect(changed.stderr).to.contain('pod updates may not change fields other than');
      });

      it('apply --server-side after a client-side apply takes the fields over without a conflict', async () => {
        expect(await ok(['apply', '-f', '-'], { stdin: labelled(ns, 1) })).to.contain('deployment.apps/migrated created');
        // a field of the last-applied configuration changes under another manager
        await ok(['scale', 'deploy', 'migrated', '-n', ns, '--replicas=5']);
        // values the client-side apply set are changed: Kubernetes lets `kubectl` take them over
        const changed = labelled(ns, 1).replace('tier: web', 'tier: api').replace('  replicas: 1\n', '');
        expect(await ok(['apply', '--server-side', '-f', '-'], { stdin: changed })).to.contain('deployment.apps/migrated serverside-applied');
        const live = JSON.parse(await ok(['get', 'deploy', 'migrated', '-n', ns, '--show-managed-fields', '-o', 'json']));
        const managers = live.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`);
        expect(managers).to.include('kubectl/Apply');
        expect(managers).to.not.include('kubectl-client-side-apply/Update');
        // the server keeps the client-side annotation in step with what was applied
        expect(JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).metadata.labels.tier).to.equal('api');
        // the applier now owns the labels: leaving one out removes it; the scaled replicas stay
        const fewer = changed.replace(', tier: api', '');
        expect(await ok(['apply', '--server-side', '-f', '-'], { stdin: fewer })).to.contain('deployment.apps/migrated serverside-applied');
        const after = JSON.parse(await ok(['get', 'deploy', 'migrated', '-n', ns, '-o', 'json']));
        expect(after.metadata.labels).to.deep.equal({ app: 'migrated' });
        expect(after.spec.replicas).to.equal(5);
      });

      it('a body of the wrong kind posted to a collection is a 400 naming the kind the endpoint takes', async () => {
        const limitRange = file(
          'limitrange.yaml',
          'apiVersion: v1\nkind: LimitRange\nmetadata: { name: limits }\nspec:\n  limits: [{ type: Container, default: { cpu: 100m } }]\n',
        );
        const asNamespace = await k(['create', '--raw', '/api/v1/namespaces', '-f', limitRange]);
        expect(asNamespace.code).to.not.equal(0);
        expect(asNamespace.stderr, asNamespace.stderr).to.contain('the object provided is unrecognized (must be of type Namespace)');
        const configMap = file('configmap.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }));
        const asPod = await k(['create', '--raw', `/api/v1/namespaces/${ns}/pods`, '-f', configMap]);
        expect(asPod.code).to.not.equal(0);
        expect(asPod.stderr).to.contain('ConfigMap in version "v1" cannot be handled as a Pod: converting (v1.ConfigMap) to (core.Pod): unknown conversion');
        const unknownKind = file('widget.json', JSON.stringify({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } }));
        const asWidget = await k(['create', '--raw', `/api/v1/namespaces/${ns}/pods`, '-f', unknownKind]);
        expect(asWidget.stderr).to.contain('Widget in version "v1" cannot be handled as a Pod: no kind "Widget" is registered for version "v1"');
        expect(await ok(['get', 'pods', '-n', ns, '-o', 'name'])).to.not.contain('pod/c');
      });
    });
  }
});
