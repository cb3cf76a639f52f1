// Issue 19: the dashboard (dashboard/, served by the apiserver under /ui/) driven in Debian's
// Chromium through playwright-core, against the shared single-node cluster. Sign-in with a
// ServiceAccount token, the overview, a Deployment applied with kubectl appearing live, scale,
// an image rollout and its rollback, a pod's streaming logs and terminal, a ConfigMap edited
// through its YAML, the generic list and detail of any resource in discovery (ConfigMaps, a
// Secret's hidden values, a CRD's custom resources), create from pasted YAML, and what a
// view-only token can (not) do (SelfSubjectAccessReview and RulesReview). Screenshots of the overview, the
// rollout and the logs go to .skiff/dashboard-screenshots/ (docs/dashboard/ holds copies).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@skiff/common/testing/index';
import { expect } from 'chai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { sharedSingleNodeCluster } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';

const NS = 'dashboard-e2e';
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(repoRoot(), '.skiff', 'dashboard-screenshots');
const WAIT = { timeout: 120_000 };

const deployment = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: ${image}
        command: ["sh", "-c", "echo started; exec sleep 3600"]
`;

const serviceAccounts = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: admin }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: viewer }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: dashboard-e2e-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: admin, namespace: ${NS} }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: viewer }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }
subjects: [{ kind: ServiceAccount, name: viewer, namespace: ${NS} }]
`;

const CRD_GROUP = 'dashboard.e2e.skiff.dev';
const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.${CRD_GROUP} }
spec:
  group: ${CRD_GROUP}
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: { type: object, properties: { size: { type: integer } } }
`;

describe('single node: the dashboard in Chromium (issue 19)', function () {
  this.timeout(300_000);
  let c: SingleNodeCluster;
  let browser: Browser;
  let page: Page;
  let base: string;
  let adminToken: string;
  let viewerToken: string;
  const started = Date.now();
  const k = (args: string[], stdin?: string) => c.kubectlOk(args, stdin === undefined ? {} : { stdin });
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  const signIn = async (token: string) => {
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/install.sh installs Debian's chromium`);
    if (!existsSync(join(repoRoot(), 'dashboard', 'dist', 'ui', 'index.html'))) throw new Error('the dashboard is not built: node dashboard/build.mjs');
    mkdirSync(SHOTS, { recursive: true });
    c = await sharedSingleNodeCluster();
    base = `https://${c.network.nodeIP}:6443`;
    await k(['create', 'namespace', NS]);
    await k(['apply', '-n', NS, '-f', '-'], serviceAccounts);
    adminToken = (await k(['create', 'token', 'admin', '-n', NS])).trim();
    viewerToken = (await k(['create', 'token', 'viewer', '-n', NS])).trim();
    // the cluster's CA is not the browser's: the test trusts the apiserver's certificate as a user would
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(60_000);
  });

  after(async () => {
    await browser?.close();
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
    await c?.kubectl(['delete', 'clusterrolebinding', 'dashboard-e2e-admin', '--ignore-not-found']);
    await c?.kubectl(['delete', 'crd', `gadgets.${CRD_GROUP}`, '--ignore-not-found', '--wait=false']);
    process.stdout.write(`      dashboard e2e: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it('signs in with a token; the overview shows the node Ready and its CPU use (acceptance 1)', async () => {
    const t0 = Date.now();
    await signIn(adminToken);
    process.stdout.write(`      sign-in to first page: ${Date.now() - t0} ms\n`);
    const node = page.getByRole('table', { name: 'nodes' }).getByRole('row').filter({ hasText: c.nodeName });
    await node.locator('[data-ready="true"]').waitFor();
    // metrics.k8s.io has a figure after two scrapes of the kubelet (15 s apart)
    const cpu = node.locator('[data-cpu-millis]');
    await cpu.waitFor(WAIT);
    expect(Number(await cpu.getAttribute('data-cpu-millis'))).to.be.above(0);
    expect(await page.getByRole('list', { name: 'pods by phase' }).getByRole('listitem').count()).to.equal(5);
    await shot('overview');
  });

  it('shows a Deployment applied with kubectl without reload, and scales it to 5 (acceptance 2)', async () => {
    await page.goto(`${base}/ui/#/workloads`);
    await page.getByLabel('Namespace').fill(NS);
    await page.getByLabel('Namespace').press('Enter');
    await page.getByLabel('Labels').fill('app=web');
    await page.getByRole('button', { name: 'Filter' }).click();
    const list = page.getByRole('table', { name: 'Deployments' });
    await k(['apply', '-n', NS, '-f', '-'], deployment('busybox'));
    await list.getByRole('link', { name: 'web' }).click();
    await page.getByLabel('Replicas', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Scale' }).click();
    const pods = page.getByRole('table', { name: 'pods' });
    await expectRows(pods.getByRole('row').filter({ hasText: 'Running' }).filter({ hasText: 'yes' }), 5);
    const spec = await k(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}']);
    expect(spec).to.equal('5 5');
  });

  it('changes the image, shows the rollout until it completes, and rolls back (acceptance 3)', async () => {
    const state = page.getByTestId('rollout-state');
    await state.filter({ hasText: 'complete' }).waitFor();
    // another name of the same image (the local registry's library/busybox): a new ReplicaSet
    await page.getByLabel('Image of main').fill('docker.io/library/busybox:latest');
    await page.getByRole('button', { name: 'Set image' }).click();
    await page.getByTestId('revision').filter({ hasText: '2' }).waitFor();
    const sets = page.getByRole('table', { name: 'replicasets' });
    await expectRows(sets.getByRole('row'), 3); // header, new, old
    await shot('deployment-rollout');
    await state.filter({ hasText: 'complete' }).waitFor(WAIT);
    expect(await page.getByTestId('image').textContent()).to.equal('docker.io/library/busybox:latest');
    await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
    await page.getByTestId('revision').filter({ hasText: '3' }).waitFor();
    await state.filter({ hasText: 'complete' }).waitFor(WAIT);
    expect(await k(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).to.equal('busybox');
  });

  it("shows an HPA's replicas changing during the autoscaling issue's load demo (acceptance 7)", async function () {
    this.timeout(300_000);
    // the demo of manifests/10-autoscaling.yaml: a CPU-bound web app, its Service and an HPA at
    // 50% CPU, loaded by a busybox wget loop as the lesson runs it
    await k(['apply', '-n', NS, '-f', join(repoRoot(), 'manifests', '10-autoscaling.yaml')]);
    await k(['rollout', 'status', '-n', NS, 'deployment/burn', '--timeout=180s']);
    await page.goto(`${base}/ui/#/hpas/${NS}/burn`);
    await page.getByTestId('current-replicas').filter({ hasText: /^1$/ }).waitFor(WAIT);
    const load = 'while :; do wget -qO- http://burn/cgi-bin/burn >/dev/null; done';
    await k(['run', 'load', '-n', NS, '--image=127.0.0.1:5000/skiff/busybox:latest', '--restart=Never', '--', 'sh', '-c', load]);
    try {
      // the page follows the HPA's watch: no reload while the controller scales up
      await page
        .getByTestId('current-replicas')
        .filter({ hasText: /^[2-5]$/ })
        .waitFor({ timeout: 180_000 });
      const history = page.getByRole('table', { name: 'replica history' }).getByRole('row');
      expect(await history.count(), 'header, then 1 replica, then more').to.be.at.least(3);
      expect(await history.nth(1).locator('td').nth(1).textContent()).to.equal('1');
      await shot('hpa');
    } finally {
      await k(['delete', 'pod', 'load', '-n', NS, '--now', '--wait=false']);
    }
  });

  it("streams a pod's logs and runs echo hi in its terminal (acceptance 4)", async () => {
    const pod = (
      await k(['get', 'pods', '-n', NS, '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[0].metadata.name}'])
    ).trim();
    await page.goto(`${base}/ui/#/pods/${NS}/${pod}`);
    const logs = page.getByTestId('logs');
    await logs.filter({ hasText: 'started' }).waitFor();
    // a line the container prints after the page opened: written to its PID 1's stdout
    const marker = `marker-${Date.now()}`;
    await k(['exec', '-n', NS, pod, '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`]);
    await logs.filter({ hasText: marker }).waitFor();
    await shot('pod-logs');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor();
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo hi\n');
    const rows = page.locator('[data-testid="terminal"] .xterm-rows > div');
    await expectSome(rows, (t) => t.trim() === 'hi');
    await page.getByRole('button', { name: 'Close terminal' }).click();
  });

  it("edits a ConfigMap's YAML with a diff and server-side apply; kubectl sees it (acceptance 5)", async () => {
    await k(['create', 'configmap', 'settings', '-n', NS, '--from-literal=color=blue']);
    await page.goto(`${base}/ui/#/configmaps/${NS}/settings`);
    const yaml = page.getByLabel('YAML');
    await yaml.waitFor();
    const text = await yaml.inputValue();
    expect(text).to.contain('color: blue');
    await yaml.fill(text.replace('color: blue', 'color: green'));
    await page.getByRole('button', { name: 'Show diff' }).click();
    const diff = page.getByTestId('diff');
    await diff.filter({ hasText: '+   color: green' }).waitFor();
    expect(await diff.textContent()).to.contain('-   color: blue');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'applied' }).waitFor();
    expect(await k(['get', 'configmap', 'settings', '-n', NS, '-o', 'jsonpath={.data.color}'])).to.equal('green');
  });

  it('lists any resource picked from discovery, live and filtered: a ConfigMap created with kubectl appears (generic list)', async () => {
    await page.goto(`${base}/ui/#/resources`);
    await page.getByLabel('Namespace').fill(NS);
    await page.getByLabel('Namespace').press('Enter');
    await page.getByLabel('Labels').fill('made-by=kubectl');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByLabel('Resource').selectOption('v1/configmaps');
    const table = page.getByRole('table', { name: 'configmaps' });
    // loaded and empty: 'settings' (acceptance 5) and kube-root-ca.crt lack the label
    await page.getByText('None.').waitFor();
    await k(['create', 'configmap', 'live-one', '-n', NS, '--from-literal=answer=42']);
    await k(['label', 'configmap', 'live-one', '-n', NS, 'made-by=kubectl']);
    await table.getByRole('link', { name: 'live-one' }).waitFor();
    expect(await table.getByRole('row').count(), 'header and live-one only').to.equal(2);
    await table.getByRole('link', { name: 'live-one' }).click();
    expect(await page.getByLabel('YAML').inputValue()).to.contain("answer: '42'");
  });

  it("keeps a Secret's values hidden until one is clicked", async () => {
    const value = `s3cr3t-${Date.now()}`;
    await k(['create', 'secret', 'generic', 'creds', '-n', NS, `--from-literal=password=${value}`]);
    await page.goto(`${base}/ui/#/resources/v1/secrets/${NS}/creds`);
    const show = page.getByRole('button', { name: 'Show password' });
    await show.waitFor();
    const before = await page.content();
    expect(before).not.to.contain(value);
    expect(before).not.to.contain(Buffer.from(value).toString('base64'));
    await show.click();
    expect(await page.getByTestId('secret-value-password').textContent()).to.equal(value);
  });

  it('creates a ConfigMap from pasted YAML, with a dry-run diff first; kubectl sees it', async () => {
    await page.goto(`${base}/ui/#/create`);
    await page.getByLabel('Namespace for documents without one').fill(NS);
    await page.getByLabel('YAML to create').fill('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pasted\ndata:\n  greeting: hello\n');
    await page.getByRole('button', { name: 'Show diff' }).click();
    const planned = page.getByRole('region', { name: `configmaps ${NS}/pasted` });
    await planned.getByTestId('diff').filter({ hasText: '+   greeting: hello' }).waitFor();
    expect(await planned.getByRole('heading').textContent()).to.contain('(new)');
    // the dry run stored nothing
    expect(await k(['get', 'configmap', '-n', NS, '-o', 'name'])).not.to.contain('configmap/pasted');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'applied' }).waitFor();
    expect(await k(['get', 'configmap', 'pasted', '-n', NS, '-o', 'jsonpath={.data.greeting} {.metadata.managedFields[0].manager}'])).to.equal(
      'hello skiff-dashboard',
    );
  });

  it("lists a CRD's custom resources, the CRD appearing in the picker without reload", async () => {
    await page.goto(`${base}/ui/#/resources`);
    await page.locator('option[value="v1/configmaps"]').waitFor({ state: 'attached' });
    await k(['apply', '-f', '-'], crd);
    await k(['wait', '--for=condition=Established', `crd/gadgets.${CRD_GROUP}`, '--timeout=60s']);
    await k(['apply', '-n', NS, '-f', '-'], `apiVersion: ${CRD_GROUP}/v1\nkind: Gadget\nmetadata: { name: g1 }\nspec: { size: 3 }\n`);
    await page.getByLabel('Labels').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByLabel('Resource').selectOption(`${CRD_GROUP}/v1/gadgets`);
    await page.getByRole('heading', { name: `Gadget (gadgets.${CRD_GROUP})` }).waitFor();
    await page.getByRole('table', { name: 'gadgets' }).getByRole('link', { name: 'g1' }).click();
    expect(await page.getByLabel('YAML').inputValue()).to.contain('size: 3');
  });

  it('with a view-only token: no scale, delete or exec control, and a readable 403 (acceptance 6)', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(viewerToken);
    // the overview lists nodes, which a namespace viewer may not: the page says so
    // (its cluster-wide pods list is refused too; the two alerts come in either order)
    const denied = page.getByRole('alert').filter({ hasText: 'cannot list resource "nodes"' }).first();
    await denied.waitFor();
    expect(await denied.textContent()).to.match(/Forbidden \(403\)/);
    await page.goto(`${base}/ui/#/deployments/${NS}/web`);
    await page.getByText('Your token may only view this Deployment.').waitFor();
    await page.getByRole('table', { name: 'replicasets' }).waitFor();
    for (const name of ['Scale', 'Delete', 'Set image', 'Restart']) expect(await page.getByRole('button', { name }).count(), name).to.equal(0);
    const pod = (await k(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await page.goto(`${base}/ui/#/pods/${NS}/${pod}`);
    await page.getByTestId('logs').filter({ hasText: 'started' }).waitFor();
    expect(await page.getByRole('button', { name: 'Open terminal' }).count()).to.equal(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).to.equal(0);
  });

  it('with a view-only token: a Secret is not fetched, Create is hidden, a forced create gets a readable 403 (RulesReview)', async () => {
    await page.goto(`${base}/ui/#/resources/v1/secrets/${NS}/creds`);
    await page.getByText('Your token may not read this Secret').waitFor();
    expect(await page.getByRole('button', { name: 'Show password' }).count()).to.equal(0);
    await page.goto(`${base}/ui/#/resources/v1/configmaps`);
    await page.getByLabel('Namespace').fill(NS);
    await page.getByLabel('Namespace').press('Enter');
    // the namespace's SelfSubjectRulesReview: configmaps may be listed, secrets may not
    await page.locator('option[value="v1/configmaps"]:not([disabled])').waitFor({ state: 'attached' });
    await page.locator('option[value="v1/secrets"][disabled]').waitFor({ state: 'attached' });
    await page.getByRole('table', { name: 'configmaps' }).getByRole('link', { name: 'pasted' }).waitFor();
    expect(await page.getByRole('link', { name: 'Create ConfigMap' }).count()).to.equal(0);
    await page.goto(`${base}/ui/#/create`);
    await page.getByLabel('Namespace for documents without one').fill(NS);
    await page.getByLabel('YAML to create').fill('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: refused }\n');
    await page.getByRole('button', { name: 'Show diff' }).click();
    const denied = page.getByRole('alert').filter({ hasText: 'Forbidden (403)' });
    await denied.waitFor();
    expect(await denied.textContent()).to.contain('cannot');
    expect(await page.getByRole('button', { name: 'Apply' }).count()).to.equal(0);
  });

  it("make up's login link signs in once (scripts/dashboard-login.sh)", async () => {
    const r = await c.inNode('bash', [join(repoRoot(), 'scripts', 'cluster.sh'), 'dashboard-link']);
    const url = /(https:\/\/127\.0\.0\.1:6443\/ui\/#login=\S+)/.exec(r.stdout + r.stderr)?.[1];
    expect(url, `no login link in: ${r.stdout}${r.stderr}`).to.be.a('string');
    await page.getByRole('button', { name: 'Sign out' }).click();
    const link = url!.replace('https://127.0.0.1:6443', base);
    // a fresh load (a hash change alone would not load the page again)
    await page.goto('about:blank');
    await page.goto(link);
    await page.getByText('system:serviceaccount:kube-system:skiff-dashboard-admin').waitFor();
    expect(page.url()).not.to.contain('login=');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto('about:blank');
    await page.goto(link);
    await page.getByRole('alert').filter({ hasText: 'this login link no longer works' }).waitFor();
  });
});

/** Waits until the locator matches `n` elements (the page updates from watch events). */
async function expectRows(locator: ReturnType<Page['locator']>, n: number): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const count = await locator.count();
    if (count === n) return;
    if (Date.now() > deadline) throw new Error(`expected ${n} rows, have ${count}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until one of the elements' text satisfies `ok`. */
async function expectSome(locator: ReturnType<Page['locator']>, ok: (text: string) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const texts = await locator.allTextContents();
    if (texts.some(ok)) return;
    if (Date.now() > deadline) throw new Error(`no element matched; texts: ${JSON.stringify(texts.filter((t) => t.trim()))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
