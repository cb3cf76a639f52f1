// The real kubectl, several versions, driving our apiserver: the acceptance script of the
// API server issue. Each version works in a namespace of its own on one apiserver.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { kubectlBinary, removeOnExit, useApiserver } from '@skiff/common/testing/index';
import type { KubectlResult } from '@skiff/common/testing/index';

const versions = (process.env.SKIFF_KUBECTL_VERSIONS ?? '1.27,1.30,1.32,1.33').split(',');

const deployment = (ns: string, replicas: number, image = '127.0.0.1:5000/skiff/web:latest') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: { app: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{ containerPort: 8080 }]
`;

const configMap = (ns: string, value: string) => `
apiVersion: v1
kind: ConfigMap
metadata: { name: ssa, namespace: ${ns} }
data: { a: "${value}" }
`;

describe('real kubectl against the apiserver', function () {
  this.timeout(300_000);
  const cluster = useApiserver();
  // kubectl's discovery cache, one per version, gone with the test process
  const cacheRoot = mkdtempSync(join(tmpdir(), 'skiff-kubectl-cache-'));
  removeOnExit(cacheRoot);

  for (const v of versions) {
    describe(`kubectl ${v}`, () => {
      const ns = `compat-${v.replace('.', '-')}`;
      const k = async (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KubectlResult> =>
        cluster.server.kubectl(v, args, { ...opts, cacheDir: join(cacheRoot, v) });
      const ok = async (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> => {
        const r = await k(args, opts);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
        return r.stdout;
      };

      it('creates a namespace (protobuf body from 1.32 on)', async () => {
        expect(await ok(['create', 'namespace', ns])).to.contain(`namespace/${ns} created`);
      });

      it('apply -f: created, unchanged, configured, with the last-applied annotation', async () => {
        expect(await ok(['apply', '-f', '-'], { stdin: deployment(ns, 2) })).to.contain('deployment.apps/web created');
        expect(await ok(['apply', '-f', '-'], { stdin: deployment(ns, 2) })).to.contain('deployment.apps/web unchanged');
        expect(await ok(['apply', '-f', '-'], { stdin: deployment(ns, 3) })).to.contain('deployment.apps/web configured');
        const last = await ok([
          'get',
          'deploy',
          'web',
          '-n',
          ns,
          '-o',
          'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}',
        ]);
        expect(JSON.parse(last).spec.replicas).to.equal(3);
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.spec.strategy.type} {.metadata.generation}'])).to.equal(
          '3 RollingUpdate 2',
        );
      });

      it('apply --server-side: conflict between two managers, then --force-conflicts', async () => {
        expect(await ok(['apply', '--server-side', '-f', '-'], { stdin: configMap(ns, '1') })).to.contain('configmap/ssa serverside-applied');
        const conflict = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], { stdin: configMap(ns, '2') });
        expect(conflict.code).to.not.equal(0);
        expect(conflict.stderr).to.match(/conflict/i);
        expect(conflict.stderr).to.contain('.data.a');
        await ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], { stdin: configMap(ns, '2') });
        expect(await ok(['get', 'cm', 'ssa', '-n', ns, '-o', 'jsonpath={.data.a}'])).to.equal('2');
        const managers = JSON.parse(await ok(['get', 'cm', 'ssa', '-n', ns, '--show-managed-fields', '-o', 'json'])).metadata.managedFields.map(
          (m: any) => m.manager,
        );
        expect(managers).to.include('other');
      });

      it('get: -o wide, yaml, jsonpath, -l, --field-selector, -A, --chunk-size', async () => {
        const wide = await ok(['get', 'deploy', '-n', ns, '-o', 'wide']);
        expect(wide).to.match(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
        expect(wide).to.contain('app=web');
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'yaml'])).to.contain('kind: Deployment');
        expect(await ok(['get', 'deploy', '-n', ns, '-l', 'app=web', '-o', 'name'])).to.equal('deployment.apps/web\n');
        expect(await ok(['get', 'deploy', '-n', ns, '-l', 'app=nothing', '-o', 'name'])).to.equal('');
        for (const i of [1, 2, 3]) await ok(['create', 'configmap', `chunk${i}`, '-n', ns, '--from-literal=i=' + i]);
        expect(await ok(['get', 'cm', '-n', ns, '--field-selector', 'metadata.name=chunk2', '-o', 'name'])).to.equal('configmap/chunk2\n');
        const chunked = await ok(['get', 'cm', '-n', ns, '--chunk-size=1', '-o', 'name']);
        for (const i of [1, 2, 3]) expect(chunked).to.contain(`configmap/chunk${i}`);
        const all = await ok(['get', 'cm', '-A']);
        expect(all).to.match(/NAMESPACE\s+NAME\s+DATA\s+AGE/);
        expect(all).to.contain(ns);
      });

      it('get -w streams changes', async () => {
        const args = [`--kubeconfig=${cluster.server.kubeconfigPath}`, 'get', 'cm', '-n', ns, '-w', '--output-watch-events'];
        const child = spawn(kubectlBinary(v), args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b) => {
          out += b.toString();
        });
        try {
          await waitFor(() => out.includes('chunk1'), 15_000, 'initial list');
          await ok(['create', 'configmap', 'watched', '-n', ns, '--from-literal=x=y']);
          await waitFor(() => /ADDED\s+watched/.test(out), 15_000, `watched in ${out}`);
        } finally {
          child.kill('SIGKILL');
        }
      });

      it('describe', async () => {
        const d = await ok(['describe', 'deploy', 'web', '-n', ns]);
        expect(d).to.match(/Name:\s+web/);
        expect(d).to.match(/Replicas:\s+3 desired/);
        expect(await ok(['describe', 'ns', ns])).to.match(/Status:\s+Active/);
      });

      it('create configmap/secret --from-literal and -f with generateName', async () => {
        expect(await ok(['create', 'configmap', 'cm1', '-n', ns, '--from-literal=k=v'])).to.contain('configmap/cm1 created');
        expect(await ok(['create', 'secret', 'generic', 's1', '-n', ns, '--from-literal=p=q'])).to.contain('secret/s1 created');
        expect(Buffer.from(await ok(['get', 'secret', 's1', '-n', ns, '-o', 'jsonpath={.data.p}']), 'base64').toString()).to.equal('q');
        const pod = `apiVersion: v1\nkind: Pod\nmetadata: { generateName: gen-, namespace: ${ns}, labels: { kind: generated } }\nspec: { containers: [{ name: c, image: 127.0.0.1:5000/skiff/busybox:latest }] }\n`;
        expect(await ok(['create', '-f', '-'], { stdin: pod })).to.match(/pod\/gen-[a-z0-9]{5} created/);
      });

      it('label, annotate, scale, patch (three types), set image, edit', async () => {
        await ok(['label', 'deploy', 'web', '-n', ns, 'tier=front']);
        await ok(['annotate', 'deploy', 'web', '-n', ns, 'note=hello']);
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.metadata.labels.tier} {.metadata.annotations.note}'])).to.equal('front hello');
        expect(await ok(['scale', 'deploy', 'web', '-n', ns, '--replicas=5'])).to.contain('scaled');
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).to.equal('5');
        await ok(['patch', 'deploy', 'web', '-n', ns, '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}}}}']);
        expect(
          await ok([
            'get',
            'deploy',
            'web',
            '-n',
            ns,
            '-o',
            'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value}',
          ]),
        ).to.equal('127.0.0.1:5000/skiff/web:latest 1');
        await ok(['patch', 'deploy', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":2}}']);
        await ok(['patch', 'deploy', 'web', '-n', ns, '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]']);
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).to.equal('4');
        await ok(['set', 'image', 'deploy/web', '-n', ns, 'web=127.0.0.1:5000/skiff/web:v2']);
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).to.equal(
          '127.0.0.1:5000/skiff/web:v2',
        );
        await ok(['edit', 'deploy', 'web', '-n', ns], { env: { EDITOR: "sed -i -e 's/skiff\\/web:v2/skiff\\/web:v3/'", KUBE_EDITOR: '' } });
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).to.equal(
          '127.0.0.1:5000/skiff/web:v3',
        );
      });

      it('wait --for=condition', async () => {
        await ok(['create', '-f', '-'], {
          stdin: `apiVersion: v1\nkind: Pod\nmetadata: { name: waiter, namespace: ${ns} }\nspec: { containers: [{ name: c, image: 127.0.0.1:5000/skiff/busybox:latest }] }\n`,
        });
        const waiting = k(['wait', '--for=condition=Ready', 'pod/waiter', '-n', ns, '--timeout=30s']);
        await new Promise((r) => setTimeout(r, 500));
        await ok([
          'patch',
          'pod',
          'waiter',
          '-n',
          ns,
          '--subresource=status',
          '--type=merge',
          '-p',
          '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
        ]);
        const r = await waiting;
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain('condition met');
      });

      it('explain', async () => {
        const e = await ok(['explain', 'deployment.spec.replicas']);
        expect(e).to.match(/replicas/);
        expect(e.toLowerCase()).to.contain('desired pods');
      });

      it('api-resources with short names', async () => {
        const out = await ok(['api-resources']);
        for (const [short, name] of [
          ['po', 'pods'],
          ['svc', 'services'],
          ['deploy', 'deployments'],
          ['rs', 'replicasets'],
          ['ns', 'namespaces'],
          ['no', 'nodes'],
          ['cm', 'configmaps'],
          ['ep', 'endpoints'],
          ['ev', 'events'],
          ['sa', 'serviceaccounts'],
        ]) {
          expect(out, name).to.match(new RegExp(`^${name}\\s+${short}\\s`, 'm'));
        }
      });

      it('--dry-run=server writes nothing', async () => {
        expect(await ok(['create', 'configmap', 'dry', '-n', ns, '--from-literal=a=b', '--dry-run=server'])).to.contain('(server dry run)');
        const gone = await k(['get', 'cm', 'dry', '-n', ns]);
        expect(gone.code).to.not.equal(0);
        expect(gone.stderr).to.contain('configmaps "dry" not found');
        expect(await ok(['apply', '--dry-run=server', '-f', '-'], { stdin: deployment(ns, 9) })).to.contain('(server dry run)');
        expect(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).to.not.equal('9');
      });

      it('errors read as apimachinery words them', async () => {
        const nf = await k(['get', 'deploy', 'nope', '-n', ns]);
        expect(nf.stderr).to.contain('deployments.apps "nope" not found');
        const inv = await k(['create', 'configmap', 'Bad_Name', '-n', ns, '--from-literal=a=b']);
        expect(inv.code).to.not.equal(0);
        expect(inv.stderr).to.contain('ConfigMap "Bad_Name" is invalid');
      });

      it('delete by name, -f and -l', async () => {
        expect(await ok(['delete', 'cm', 'cm1', '-n', ns])).to.contain('configmap "cm1" deleted');
        expect(await ok(['delete', '-f', '-'], { stdin: deployment(ns, 3) })).to.contain('deployment.apps "web" deleted');
        await ok(['delete', 'pod', '-l', 'kind=generated', '-n', ns]);
        expect(await ok(['get', 'pods', '-n', ns, '-l', 'kind=generated', '-o', 'name'])).to.equal('');
      });
    });
  }
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('server-side apply details', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const svc = `apiVersion: v1
kind: Service
metadata: { name: ssa-svc, namespace: default }
spec:
  selector: { app: x }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
  it('re-applies a Service whose ports leave out the defaulted protocol', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await cluster.server.kubectl('1.33', ['apply', '--server-side', '-f', '-'], { stdin: svc });
      expect(r.code, r.stderr).to.equal(0);
    }
    const ports = JSON.parse((await cluster.server.kubectl('1.33', ['get', 'svc', 'ssa-svc', '-o', 'json'])).stdout).spec.ports;
    expect(ports).to.have.length(1);
  });
  it('an identical apply writes nothing (same resourceVersion)', async () => {
    const rv = async () => (await cluster.server.kubectl('1.33', ['get', 'svc', 'ssa-svc', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    const before = await rv();
    await cluster.server.kubectl('1.33', ['apply', '--server-side', '-f', '-'], { stdin: svc });
    expect(await rv()).to.equal(before);
  });
});
