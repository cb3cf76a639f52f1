// Host and path matching as the Ingress spec's examples define it, and which Ingresses the
// controller claims.
import { expect } from 'chai';
import type { V1EndpointSlice, V1Ingress, V1IngressClass, V1Service } from '@kubernetes/client-node';
import { addPath, type Backend, buildTable, claimedIngresses, emptyTable, prefixMatches, route } from '../src/index.ts';

const b = (name: string): Backend => ({ name, endpoints: ['10.0.0.1'], port: 80 });

describe('ingress routes', () => {
  it('Prefix matches by path element, ignoring the rule trailing slash (the spec table)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/', '/anything', true],
      ['/foo', '/foo', true],
      ['/foo', '/foo/', true],
      ['/foo/', '/foo', true],
      ['/foo/', '/foo/', true],
      ['/aaa/bb', '/aaa/bbb', false],
      ['/aaa/bbb', '/aaa/bbb', true],
      ['/aaa/bbb/', '/aaa/bbb', true],
      ['/aaa/bbb', '/aaa/bbb/', true],
      ['/aaa/bbb', '/aaa/bbb/ccc', true],
      ['/aaa/bbb', '/aaa/bbbxyz', false],
    ];
    for (const [rule, path, want] of cases) expect(prefixMatches(rule, path), `${rule} ~ ${path}`).to.equal(want);
  });

  it('longest path wins, Exact before Prefix at equal length; exact host before wildcard; default backend last', () => {
    const t = emptyTable();
    addPath(t, 'foo.example', { path: '/', exact: false, backend: b('root') });
    addPath(t, 'foo.example', { path: '/api', exact: false, backend: b('api-prefix') });
    addPath(t, 'foo.example', { path: '/api', exact: true, backend: b('api-exact') });
    addPath(t, 'foo.example', { path: '/api/v2', exact: false, backend: b('v2') });
    addPath(t, '*.example', { path: '/', exact: false, backend: b('wild') });
    addPath(t, '', { path: '/', exact: false, backend: b('any') });
    t.defaultBackend = b('default');
    expect(route(t, 'foo.example', '/api')?.name).to.equal('api-exact');
    expect(route(t, 'foo.example:80', '/api/')?.name).to.equal('api-prefix');
    expect(route(t, 'FOO.example', '/api/v2/x')?.name).to.equal('v2');
    expect(route(t, 'foo.example', '/apis')?.name).to.equal('root');
    expect(route(t, 'bar.example', '/x')?.name).to.equal('wild');
    // a wildcard matches exactly one label
    expect(route(t, 'a.bar.example', '/x')?.name).to.equal('any');
    expect(route(t, 'example', '/x')?.name).to.equal('any');
    const noAny = emptyTable();
    addPath(noAny, 'foo.example', { path: '/only', exact: true, backend: b('only') });
    noAny.defaultBackend = b('default');
    expect(route(noAny, 'foo.example', '/only/x')?.name).to.equal('default');
    expect(route(noAny, 'other', '/only')?.name).to.equal('default');
    expect(route(emptyTable(), 'x', '/')).to.equal(undefined);
  });

  it('claims Ingresses of its classes, and unclassed ones while its class is the default, oldest first', () => {
    const cls = (name: string, controller: string, isDefault = false): V1IngressClass => ({
      metadata: { name, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
      spec: { controller },
    });
    const ing = (name: string, className?: string, annotation?: string): V1Ingress => ({
      metadata: {
        name,
        namespace: 'd',
        creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, name.length)),
        ...(annotation ? { annotations: { 'kubernetes.io/ingress.class': annotation } } : {}),
      },
      spec: className ? { ingressClassName: className } : {},
    });
    const all = [ing('mine', 'skiff'), ing('other', 'nginx'), ing('unset'), ing('legacy', undefined, 'skiff')];
    const names = (list: V1Ingress[]) => list.map((i) => i.metadata?.name);
    expect(names(claimedIngresses(all, [cls('skiff', 'skiff.io/ingress'), cls('nginx', 'k8s.io/ingress-nginx')], 'skiff.io/ingress'))).to.deep.equal([
      'mine',
      'legacy',
    ]);
    expect(names(claimedIngresses(all, [cls('skiff', 'skiff.io/ingress', true)], 'skiff.io/ingress'))).to.deep.equal(['mine', 'unset', 'legacy']);
  });

  it('resolves a backend to the ready endpoints of the Service port, by number or name', () => {
    const svc: V1Service = { metadata: { name: 'web', namespace: 'd' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    const slice: V1EndpointSlice = {
      metadata: { name: 'web-x', namespace: 'd', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.5'], conditions: { ready: true } },
        { addresses: ['10.244.2.6'], conditions: { ready: false, terminating: true } },
      ],
    };
    const ingress: V1Ingress = {
      metadata: { name: 'i', namespace: 'd' },
      spec: {
        defaultBackend: { service: { name: 'web', port: { name: 'http' } } },
        rules: [{ host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    };
    const t = buildTable(
      [ingress],
      (ns, name) => (ns === 'd' && name === 'web' ? svc : undefined),
      () => [slice],
    );
    expect(route(t, 'a.example', '/')).to.deep.equal({ name: 'd/web:80', endpoints: ['10.244.1.5'], port: 8080 });
    expect(route(t, 'b.example', '/')).to.deep.equal({ name: 'd/web:http', endpoints: ['10.244.1.5'], port: 8080 });
  });
});
