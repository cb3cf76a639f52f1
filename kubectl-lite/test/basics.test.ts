// apply / get / describe / delete / scale against a real apiserver (no controllers).
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import { kubectlLite } from './support.ts';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/skiff/web:latest
        ports: [{ containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: { app: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

describe('kubectl-lite basics', function () {
  this.timeout(60_000);
  const cluster = useApiserver();

  it('applies multi-document YAML from stdin: created, unchanged, configured', async () => {
    const first = await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: DEPLOYMENT });
    expect(first.stderr).to.equal('');
    expect(first.stdout).to.equal('deployment.apps/web created\nservice/web created\n');
    expect(first.code).to.equal(0);

    const again = await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: DEPLOYMENT });
    expect(again.stdout).to.equal('deployment.apps/web unchanged\nservice/web unchanged\n');

    const changed = await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: DEPLOYMENT.replace('replicas: 2', 'replicas: 3') });
    expect(changed.stdout).to.equal('deployment.apps/web configured\nservice/web unchanged\n');
    const dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    expect(dep.spec.replicas).to.equal(3);
  });

  it('removes fields dropped from the manifest on re-apply', async () => {
    const withLabel = DEPLOYMENT.replace('labels: { app: web }\nspec:', 'labels: { app: web, tier: front }\nspec:');
    await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: withLabel });
    let dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    expect(dep.metadata.labels.tier).to.equal('front');
    await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: DEPLOYMENT });
    dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    expect(dep.metadata.labels).to.deep.equal({ app: web() });
  });

  it('gets tables with the server columns, resolving short names', async () => {
    const r = await kubectlLite(cluster.server, ['get', 'deploy']);
    expect(r.code).to.equal(0);
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header!.split(/\s+/)).to.deep.equal(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).to.deep.equal(['web', '0/2', '0', '0']);

    const wide = await kubectlLite(cluster.server, ['get', 'deployments.apps', 'web', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]!.split(/\s+/)).to.include.members(['CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide.stdout).to.contain('127.0.0.1:5000/skiff/web:latest');

    const svc = await kubectlLite(cluster.server, ['get', 'svc', '-A']);
    expect(svc.stdout.split('\n')[0]!.split(/\s+/)).to.deep.equal(['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(svc.stdout).to.match(/default\s+web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP/);
  });

  it('matches the real kubectl table header and row for the same objects', async () => {
    const ours = await kubectlLite(cluster.server, ['get', 'deploy,svc', '-l', 'app=web']);
    const theirs = await cluster.server.kubectl('1.33', ['get', 'deploy,svc', '-l', 'app=web']);
    const strip = (s: string) =>
      s.split('\n').map((l) =>
        l
          .split(/\s+/)
          .filter((c) => !/^\d+[smhd]/.test(c))
          .join(' '),
      );
    expect(strip(ours.stdout)).to.deep.equal(strip(theirs.stdout));
  });

  it('prints yaml, json and names; filters by label', async () => {
    const y = await kubectlLite(cluster.server, ['get', 'deploy/web', '-o', 'yaml']);
    expect(y.stdout).to.match(/^apiVersion: apps\/v1\nkind: Deployment\n/);
    const j = JSON.parse((await kubectlLite(cluster.server, ['get', 'deployments', '-o', 'json'])).stdout);
    expect(j.kind).to.equal('List');
    expect(j.items[0].kind).to.equal('Deployment');
    const n = await kubectlLite(cluster.server, ['get', 'deploy,svc', '-l', 'app=web', '-o', 'name']);
    expect(n.stdout).to.equal('deployment.apps/web\nservice/web\n');
    const none = await kubectlLite(cluster.server, ['get', 'deploy', '-l', 'app=nothing']);
    expect(none.stdout).to.equal('');
    expect(none.stderr).to.equal('No resources found in default namespace.\n');
  });

  it('reports a missing object as kubectl does, with a non-zero exit', async () => {
    const r = await kubectlLite(cluster.server, ['get', 'deploy', 'nope']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('Error from server (NotFound): deployments.apps "nope" not found\n');
    const bad = await kubectlLite(cluster.server, ['get', 'flurbs']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.equal('error: the server doesn\'t have a resource type "flurbs"\n');
  });

  it('exits 1 with a usage line on bad usage', async () => {
    const r = await kubectlLite(cluster.server, ['scale', 'deploy/web']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^error: required flag\(s\) "replicas" not set\nUsage: kubectl-lite scale/);
    const unknown = await kubectlLite(cluster.server, ['get', 'pods', '--frobnicate']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/unknown flag: --frobnicate\nUsage:/);
    expect((await kubectlLite(undefined, [])).code).to.equal(1);
  });

  it('scales through the scale subresource', async () => {
    const r = await kubectlLite(cluster.server, ['scale', 'deployment', 'web', '--replicas=5']);
    expect(r.stdout).to.equal('deployment.apps/web scaled\n');
    const dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    expect(dep.spec.replicas).to.equal(5);
    const wrong = await kubectlLite(cluster.server, ['scale', 'deploy/web', '--replicas=1', '--current-replicas=2']);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.equal('error: Expected replicas to be 2, was 5\n');
  });

  it('describes a deployment and its events', async () => {
    const dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', uid: dep.metadata.uid },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc to 5',
      type: 'Normal',
      source: { component: 'deployment-controller' },
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
    };
    const created = await cluster.server.request('POST', '/api/v1/namespaces/default/events', { body: event });
    expect(created.status).to.equal(201);
    const r = await kubectlLite(cluster.server, ['describe', 'deployment', 'web']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^Name:\s+web\nNamespace:\s+default\n/);
    expect(r.stdout).to.match(/Replicas:\s+5 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable/);
    expect(r.stdout).to.match(/Image:\s+127\.0\.0\.1:5000\/skiff\/web:latest/);
    expect(r.stdout).to.match(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
    expect(r.stdout).to.match(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-abc to 5/);
    const svc = await kubectlLite(cluster.server, ['describe', 'svc/web']);
    expect(svc.stdout).to.match(/Type:\s+ClusterIP/);
    expect(svc.stdout).to.match(/Events:\s+<none>/);
  });

  it('deletes by name, by label and from files', async () => {
    const byName = await kubectlLite(cluster.server, ['delete', 'svc', 'web']);
    expect(byName.stdout).to.equal('service "web" deleted\n');
    const missing = await kubectlLite(cluster.server, ['delete', 'svc', 'web']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('Error from server (NotFound): services "web" not found\n');
    expect((await kubectlLite(cluster.server, ['delete', 'svc', 'web', '--ignore-not-found'])).code).to.equal(0);

    const byLabel = await kubectlLite(cluster.server, ['delete', 'deploy', '-l', 'app=web']);
    expect(byLabel.stdout).to.equal('deployment.apps "web" deleted\n');

    await kubectlLite(cluster.server, ['apply', '-f', '-'], { stdin: DEPLOYMENT });
    const fromFile = await kubectlLite(cluster.server, ['delete', '-f', '-'], { stdin: DEPLOYMENT });
    expect(fromFile.stdout).to.equal('deployment.apps "web" deleted\nservice "web" deleted\n');
    expect((await cluster.server.request('GET', '/api/v1/namespaces/default/services/web')).status).to.equal(404);
  });

  it('honours -n and a context namespace mismatch', async () => {
    await cluster.server.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } });
    const r = await kubectlLite(cluster.server, ['apply', '-n', 'other', '-f', '-'], { stdin: DEPLOYMENT });
    expect(r.stdout).to.equal('deployment.apps/web created\nservice/web created\n');
    expect((await cluster.server.request('GET', '/apis/apps/v1/namespaces/other/deployments/web')).status).to.equal(200);
    const clash = await kubectlLite(cluster.server, ['apply', '-n', 'default', '-f', '-'], {
      stdin: DEPLOYMENT.replace('name: web\n  labels', 'name: web\n  namespace: other\n  labels'),
    });
    expect(clash.code).to.equal(1);
    expect(clash.stderr).to.contain('does not match the namespace "default"');
  });
});

function web(): string {
  return 'web';
}
