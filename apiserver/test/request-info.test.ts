import { expect } from 'chai';
import { parseRequestInfo } from '../src/server/request-info.ts';

const q = (s = '') => new URLSearchParams(s);

describe('request info', () => {
  it('parses namespaced resources, names and subresources', () => {
    const i = parseRequestInfo('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale', q());
    expect(i).to.include({
      isResourceRequest: true,
      group: 'apps',
      version: 'v1',
      namespace: 'default',
      resource: 'deployments',
      name: 'web',
      subresource: 'scale',
      verb: 'get',
    });
  });
  it('treats namespaces/NAME/status and finalize as namespace subresources', () => {
    const s = parseRequestInfo('PUT', '/api/v1/namespaces/foo/finalize', q());
    expect(s).to.include({ resource: 'namespaces', name: 'foo', subresource: 'finalize', verb: 'update' });
    expect(s.namespace).to.equal(undefined);
    const n = parseRequestInfo('GET', '/api/v1/namespaces/foo', q());
    expect(n).to.include({ resource: 'namespaces', name: 'foo', verb: 'get' });
  });
  it('knows list, watch (query and legacy path), deletecollection', () => {
    expect(parseRequestInfo('GET', '/api/v1/pods', q()).verb).to.equal('list');
    expect(parseRequestInfo('GET', '/api/v1/namespaces/a/pods', q('watch=true')).verb).to.equal('watch');
    const w = parseRequestInfo('GET', '/api/v1/watch/namespaces/a/pods/p', q());
    expect(w).to.include({ verb: 'watch', namespace: 'a', resource: 'pods', name: 'p' });
    expect(parseRequestInfo('DELETE', '/api/v1/namespaces/a/pods', q()).verb).to.equal('deletecollection');
  });
  it('leaves discovery paths as non-resource requests', () => {
    for (const p of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1']) {
      expect(parseRequestInfo('GET', p, q()).isResourceRequest, p).to.equal(false);
    }
  });
});
