// compose convert (golden output) and compose up against a real apiserver.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import { convertCompose, parsePort } from '../src/compose/convert.ts';
import { shellWords } from '../src/compose/shell-words.ts';
import { ensureRegistry, type RegistryHandle } from '@skiff/kubelet/runtime-setup/registry';
import { fixture, kubectlLite } from './support.ts';

describe('compose convert', () => {
  it('prints the golden Deployments and Services for a web + kv compose file', async () => {
    const r = await kubectlLite(undefined, ['compose', 'convert', '-f', fixture('compose', 'docker-compose.yml')]);
    expect(r.code).to.equal(0, r.stderr);
    const golden = readFileSync(fixture('compose', 'expected.yaml'), 'utf8').replaceAll('${COMPOSE_DIR}', fixture('compose'));
    expect(r.stdout).to.equal(golden);
    expect(r.stderr).to.contain('warning: service "web": depends_on (kv) is noted as an annotation');
    expect(r.stderr).to.contain('published port 8080 is outside the NodePort range');
  });

  it('reads environment lists and maps, port forms and replicas', () => {
    const conv = convertCompose(
      `
services:
  a:
    image: x
    environment: [ "ONE=1", "TWO=a=b" ]
    ports: [ "127.0.0.1:30100:80/udp", { target: 81, published: 30101 } ]
    scale: 3
  b_svc:
    image: y
    environment: { N: 5, EMPTY: "" }
    command: echo "hello world"
`,
      { composeDir: '/tmp', projectName: 'p' },
    );
    const dep = (n: string) => conv.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === n);
    expect(dep('a').spec.replicas).to.equal(3);
    expect(dep('a').spec.template.spec.containers[0].env).to.deep.equal([
      { name: 'ONE', value: '1' },
      { name: 'TWO', value: 'a=b' },
    ]);
    expect(dep('b-svc').spec.template.spec.containers[0].env).to.deep.equal([
      { name: 'N', value: '5' },
      { name: 'EMPTY', value: '' },
    ]);
    expect(dep('b-svc').spec.template.spec.containers[0].args).to.deep.equal(['echo', 'hello world']);
    const svc = conv.objects.find((o) => o.kind === 'Service');
    expect(svc.spec.type).to.equal('NodePort');
    expect(svc.spec.ports).to.deep.equal([
      { name: 'udp-80', port: 80, targetPort: 80, protocol: 'UDP', nodePort: 30100 },
      { name: 'tcp-81', port: 81, targetPort: 81, protocol: 'TCP', nodePort: 30101 },
    ]);
    expect(conv.objects.filter((o) => o.kind === 'Service')).to.have.length(1);
  });

  it('rejects what it cannot convert with a clear message', () => {
    expect(() => parsePort('8080-8090:80', 'web')).to.throw('port "8080-8090:80" is not a valid port');
    expect(() => convertCompose('services: { a: { ports: ["80"] } }', { composeDir: '/tmp', projectName: 'p' })).to.throw(
      'service "a" has neither image nor build',
    );
    expect(() => convertCompose('version: "3"', { composeDir: '/tmp', projectName: 'p' })).to.throw('the compose file has no services');
    expect(shellWords(`sh -c 'a "b" c' d\\ e`)).to.deep.equal(['sh', '-c', 'a "b" c', 'd e']);
  });

  it('reports a Dockerfile build as unsupported', async () => {
    const r = await kubectlLite(undefined, ['compose', 'convert', '-f', fixture('compose-dockerfile', 'docker-compose.yml')]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(
      /warning: service "app": build from .*compose-dockerfile\/app is not supported: the Skiff image builder needs an image.json recipe/,
    );
  });
});

describe('compose up', function () {
  this.timeout(120_000);
  const cluster = useApiserver();

  it('applies the converted objects (without building)', async () => {
    const r = await kubectlLite(cluster.server, ['compose', 'up', '--no-build', '-f', fixture('compose', 'docker-compose.yml')]);
    expect(r.code).to.equal(0, r.stderr);
    expect(r.stdout).to.equal('service/web created\nservice/kv created\ndeployment.apps/web created\ndeployment.apps/kv created\n');
    const svc = JSON.parse((await cluster.server.request('GET', '/api/v1/namespaces/default/services/web')).body);
    expect(svc.spec.type).to.equal('NodePort');
    expect(svc.spec.ports[0].nodePort).to.be.within(30000, 32767);
    const dep = JSON.parse((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body);
    expect(dep.metadata.annotations['compose.skiff.dev/depends-on']).to.equal('kv');
    const again = await kubectlLite(cluster.server, ['compose', 'up', '--no-build', '-f', fixture('compose', 'docker-compose.yml')]);
    expect(again.stdout).to.equal('service/web unchanged\nservice/kv unchanged\ndeployment.apps/web unchanged\ndeployment.apps/kv unchanged\n');
  });

  it('refuses to start when a build cannot be done, before applying anything', async () => {
    const r = await kubectlLite(cluster.server, ['compose', 'up', '-f', fixture('compose-dockerfile', 'docker-compose.yml')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^error: service "app": build from .* is not supported/);
    expect((await cluster.server.request('GET', '/apis/apps/v1/namespaces/default/deployments/app')).status).to.equal(404);
  });

  let registry: RegistryHandle | undefined;
  after(async () => {
    await registry?.stop();
  });

  it('builds an image.json recipe with the Skiff builder and pushes it to the local registry', async function () {
    this.timeout(60_000);
    registry = await ensureRegistry(); // started here (and stopped after) unless one answers
    const r = await kubectlLite(cluster.server, ['compose', 'up', '-p', 'kltest', '-f', fixture('compose', 'docker-compose.yml')]);
    expect(r.code).to.equal(0, r.stderr);
    expect(r.stderr).to.match(/built 127\.0\.0\.1:5000\/shop\/kv:latest \(sha256:[0-9a-f]{64}\)/);
    const tags = (await (await fetch('http://127.0.0.1:5000/v2/shop/kv/tags/list')).json()) as { tags: string[] };
    expect(tags.tags).to.include('latest');
  });
});
