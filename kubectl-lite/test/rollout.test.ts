// rollout status/history/undo/restart against a real apiserver; the ReplicaSets and the
// Deployment status are written here the way the deployment controller would write them.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot, useApiserver } from '@skiff/common/testing/index';
import { kubectlLite } from './support.ts';

const DEP = '/apis/apps/v1/namespaces/default/deployments';

function template(image: string) {
  return { metadata: { labels: { app: 'roll' } }, spec: { containers: [{ name: 'web', image }] } };
}

describe('kubectl-lite rollout', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const req = (method: string, path: string, body?: object, type?: string) =>
    cluster.server
      .request(method, path, { body, ...(type ? { headers: { 'content-type': type } } : {}) })
      .then((r) => ({ status: r.status, body: JSON.parse(r.body) }));

  async function replicaSet(dep: any, revision: number, image: string, replicas: number): Promise<void> {
    const tpl = template(image);
    tpl.metadata.labels = { ...tpl.metadata.labels, 'pod-template-hash': `h${revision}` } as any;
    const r = await req('POST', '/apis/apps/v1/namespaces/default/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `roll-h${revision}`,
        labels: tpl.metadata.labels,
        annotations: { 'deployment.kubernetes.io/revision': String(revision), ...(revision === 1 ? { 'kubernetes.io/change-cause': 'first image' } : {}) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'roll', uid: dep.metadata.uid, controller: true }],
      },
      spec: { replicas, selector: { matchLabels: tpl.metadata.labels }, template: tpl },
    });
    expect(r.status).to.equal(201);
  }

  before(async () => {
    const created = await req('POST', DEP, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'roll' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'roll' } }, template: template('img:v2') },
    });
    expect(created.status).to.equal(201);
    await replicaSet(created.body, 1, 'img:v1', 0);
    await replicaSet(created.body, 2, 'img:v2', 2);
  });

  it("history lists the ReplicaSets' revisions", async () => {
    const r = await kubectlLite(cluster.server, ['rollout', 'history', 'deployment/roll']);
    expect(r.stdout).to.equal('deployment.apps/roll \nREVISION   CHANGE-CAUSE\n1          first image\n2          <none>\n\n');
  });

  it('status waits until the deployment is rolled out', async () => {
    const controller = new AbortController();
    const running = kubectlLite(cluster.server, ['rollout', 'status', 'deploy/roll', '--timeout=20s'], { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 500));
    let dep = (await req('GET', `${DEP}/roll`)).body;
    dep.status = { observedGeneration: dep.metadata.generation, replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
    await req('PUT', `${DEP}/roll/status`, dep);
    await new Promise((r) => setTimeout(r, 300));
    dep = (await req('GET', `${DEP}/roll`)).body;
    dep.status = { observedGeneration: dep.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
    await req('PUT', `${DEP}/roll/status`, dep);
    const r = await running;
    expect(r.code).to.equal(0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).to.equal('deployment "roll" successfully rolled out');
    expect(lines).to.include('Waiting for deployment "roll" rollout to finish: 1 out of 2 new replicas have been updated...');
  });

  it('status fails once the progress deadline is exceeded', async () => {
    const dep = (await req('GET', `${DEP}/roll`)).body;
    dep.status = { ...dep.status, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] };
    await req('PUT', `${DEP}/roll/status`, dep);
    const r = await kubectlLite(cluster.server, ['rollout', 'status', 'deploy/roll']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('error: deployment "roll" exceeded its progress deadline\n');
  });

  it("undo puts the previous revision's template back", async () => {
    const r = await kubectlLite(cluster.server, ['rollout', 'undo', 'deploy/roll']);
    expect(r.stdout).to.equal('deployment.apps/roll rolled back\n');
    const dep = (await req('GET', `${DEP}/roll`)).body;
    expect(dep.spec.template.spec.containers[0].image).to.equal('img:v1');
    expect(dep.spec.template.metadata.labels).to.deep.equal({ app: 'roll' });
    const again = await kubectlLite(cluster.server, ['rollout', 'undo', 'deploy/roll', '--to-revision=1']);
    expect(again.stdout).to.equal('deployment.apps/roll skipped rollback (current template already matches revision 1)\n');
    const missing = await kubectlLite(cluster.server, ['rollout', 'undo', 'deploy/roll', '--to-revision=9']);
    expect(missing.stderr).to.equal('error: unable to find specified revision 9 in history\n');
  });

  it('restart stamps the pod template with restartedAt', async () => {
    const r = await kubectlLite(cluster.server, ['rollout', 'restart', 'deployment', 'roll']);
    expect(r.stdout).to.equal('deployment.apps/roll restarted\n');
    const dep = (await req('GET', `${DEP}/roll`)).body;
    const stamp = dep.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(Date.now() - Date.parse(stamp)).to.be.within(0, 10_000);
  });

  it('bin/kubectl-lite runs as a process with the exit codes of the CLI', async () => {
    const runBin = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(join(repoRoot(), 'bin', 'kubectl-lite'), args, { env: { ...process.env, KUBECONFIG: cluster.server.kubeconfigPath } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await runBin(['get', 'deploy', 'roll', '-o', 'name']);
    expect(ok).to.deep.equal({ code: 0, stdout: 'deployment.apps/roll\n', stderr: '' });
    const missing = await runBin(['get', 'deploy', 'gone']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('Error from server (NotFound): deployments.apps "gone" not found\n');
  });
});
