// networking.k8s.io/v1 Ingress and IngressClass through the real kubectl (issue 20):
// `kubectl create ingress`, get's columns, describe, the class list, upstream's validation.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

type Json = Record<string, any>;
const ns = 'default';
const ingPath = (name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;
const backend = { service: { name: 'web', port: { number: 80 } } };
const ingress = (name: string, spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name }, spec });
const rule = (host: string | undefined, paths: Json[]) => ({ ...(host ? { host } : {}), http: { paths } });

describe('networking.k8s.io/v1 Ingress and IngressClass', function () {
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
  const post = (obj: Json) => server.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, { body: obj });
  const causes = (body: string): string[] => (JSON.parse(body).details?.causes ?? []).map((c: Json) => `${c.field}: ${c.message}`);

  it('kubectl create ingress makes one that get and describe show as Kubernetes does', async () => {
    const r = await k(['create', 'ingress', 'site', '--class=skiff', '--rule=a.example/=web:80', '--rule=b.example/api*=api:http,tls=b-cert']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('ingress.networking.k8s.io/site created');
    const got = JSON.parse((await server.request('GET', ingPath('site'))).body);
    expect(got.spec.rules[0]).to.deep.equal(rule('a.example', [{ path: '/', pathType: 'Exact', backend }]));
    expect(got.spec.rules[1].http.paths[0]).to.deep.include({ path: '/api', pathType: 'Prefix' });
    expect(got.spec.tls).to.deep.equal([{ hosts: ['b.example'], secretName: 'b-cert' }]);
    expect(got.metadata.generation).to.equal(1);

    // the controller's report, through /status
    const st = await server.request('PUT', `${ingPath('site')}/status`, {
      body: { ...got, status: { loadBalancer: { ingress: [{ ip: '10.254.0.12' }, { ip: '10.254.0.11' }] } } },
    });
    expect(st.status, st.body).to.equal(200);
    const list = await k(['get', 'ingress']);
    expect(list.code, list.stderr).to.equal(0);
    const [head, row] = list.stdout.trim().split('\n');
    expect(head.split(/\s+/)).to.deep.equal(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(row.split(/\s+/).slice(0, 5)).to.deep.equal(['site', 'skiff', 'a.example,b.example', '10.254.0.11,10.254.0.12', '80,', '443'].slice(0, 5));
    expect(row).to.match(/80, 443\s+\d+s$/);
    const short = await k(['get', 'ing', 'site', '-o', 'name']);
    expect(short.stdout.trim()).to.equal('ingress.networking.k8s.io/site');

    const d = await k(['describe', 'ingress', 'site']);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout).to.match(/Ingress Class:\s+skiff/);
    expect(d.stdout).to.match(/Address:\s+10\.254\.0\.11,10\.254\.0\.12/);
    expect(d.stdout).to.match(/b-cert terminates b\.example/);
    expect(d.stdout).to.match(/a\.example\s+\n?\s+\/\s+web:80/);

    // a user's spec write keeps the controller's status and bumps the generation
    const patched = await k(['annotate', 'ingress', 'site', 'team=a']);
    expect(patched.code, patched.stderr).to.equal(0);
    const put = await server.request('PUT', ingPath('site'), { body: { ...JSON.parse((await server.request('GET', ingPath('site'))).body), status: {} } });
    expect(put.status, put.body).to.equal(200);
    expect(JSON.parse(put.body).status.loadBalancer.ingress).to.have.length(2);
    const del = await k(['delete', 'ingress', 'site']);
    expect(del.code, del.stderr).to.equal(0);
  });

  it('refuses what upstream refuses, with its field causes', async () => {
    const cases: Array<[Json, string[]]> = [
      [{}, ['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']],
      [{ rules: [rule('a.example', [{ path: '/', backend }])] }, ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']],
      [
        { rules: [rule('a.example', [{ path: 'api', pathType: 'Prefix', backend }])] },
        ['spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'],
      ],
      [
        { rules: [rule('a.example', [{ path: '/a//b/.', pathType: 'Exact', backend }])] },
        [
          'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/.": must not contain \'//\'',
          'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/.": cannot end with \'/.\'',
        ],
      ],
      [
        { rules: [rule('a.example', [{ path: '/', pathType: 'Regex', backend }])] },
        ['spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"'],
      ],
      [
        { rules: [rule('10.0.0.1', [{ path: '/', pathType: 'Prefix', backend }])] },
        ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'],
      ],
      [
        { rules: [rule('a.*.example', [{ path: '/', pathType: 'Prefix', backend }])] },
        ['spec.rules[0].host: Invalid value: "a.*.example": a wildcard DNS-1123 subdomain'],
      ],
      [{ defaultBackend: { service: { name: 'web' } } }, ['spec.defaultBackend: Required value: port name or number is required']],
      [
        { defaultBackend: { service: { name: 'web', port: { name: 'http', number: 80 } } } },
        ['spec.defaultBackend: Invalid value: "": cannot set both port name & port number'],
      ],
      [
        { defaultBackend: { ...backend, resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'b' } } },
        ['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends'],
      ],
      [
        { defaultBackend: { service: { name: '1web', port: { number: 70000 } } } },
        [
          'spec.defaultBackend.service.name: Invalid value: "1web": a DNS-1035 label',
          'spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
        ],
      ],
      [{ defaultBackend: backend, rules: [{ host: 'a.example', http: { paths: [] } }] }, ['spec.rules[0].http.paths: Required value']],
    ];
    for (const [spec, want] of cases) {
      const r = await post(ingress('bad', spec));
      expect(r.status, JSON.stringify(spec)).to.equal(422);
      const got = causes(r.body);
      expect(got.length, `${JSON.stringify(spec)} -> ${got.join(' | ')}`).to.equal(want.length);
      want.forEach((w, i) => expect(got[i], JSON.stringify(spec)).to.contain(w));
    }
    const ok = await post(
      ingress('wild', {
        defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'b' } },
        rules: [rule('*.example', [{ path: '/x', pathType: 'ImplementationSpecific', backend }])],
      }),
    );
    expect(ok.status, ok.body).to.equal(201);
    const annotated = await post({
      ...ingress('ann', { defaultBackend: backend, ingressClassName: 'skiff' }),
      metadata: { name: 'ann', annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
    });
    expect(annotated.status).to.equal(422);
    expect(causes(annotated.body)[0]).to.contain('must match `ingressClassName` when both are specified');
    const badStatus = await server.request('PUT', `${ingPath('wild')}/status`, {
      body: { ...JSON.parse(ok.body), status: { loadBalancer: { ingress: [{ hostname: '10.1.1.1' }] } } },
    });
    expect(badStatus.status).to.equal(422);
    expect(causes(badStatus.body)).to.deep.include('status.loadBalancer.ingress[0].hostname: Invalid value: "10.1.1.1": must be a DNS name, not an IP address');
  });

  it('IngressClass: get columns, parameters scope defaulted, controller immutable', async () => {
    const cls = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'skiff', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'skiff.io/ingress', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } },
    };
    const c = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(cls));
    expect(c.code, c.stderr).to.equal(0);
    expect(JSON.parse(c.stdout).spec.parameters.scope).to.equal('Cluster');
    const g = await k(['get', 'ingressclass']);
    expect(g.stdout.split('\n')[0].split(/\s+/)).to.deep.equal(['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE']);
    expect(g.stdout).to.match(/skiff\s+skiff\.io\/ingress\s+IngressParameters\.k8s\.example\.com\/p\s+\d+s/);
    const change = await k(['patch', 'ingressclass', 'skiff', '--type=merge', '-p', '{"spec":{"controller":"other.io/x"}}']);
    expect(change.code).to.not.equal(0);
    expect(change.stderr).to.contain('spec.controller: Invalid value: "other.io/x": field is immutable');
    const bad = await server.request('POST', '/apis/networking.k8s.io/v1/ingressclasses', {
      body: { ...cls, metadata: { name: 'bad' }, spec: { controller: 'nodomain', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } } },
    });
    expect(bad.status).to.equal(422);
    expect(causes(bad.body)).to.deep.equal([
      'spec.controller: Invalid value: "nodomain": must be a domain-prefixed path (such as "acme.io/foo")',
      "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
    ]);
    expect((await k(['delete', 'ingressclass', 'skiff'])).code).to.equal(0);
  });
});
