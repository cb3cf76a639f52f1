import { expect } from 'chai';
import { CacheIndex } from '../src/informer-index.ts';

// The informer's index (Informer.addIndex / byIndex keep one per name and feed it every add,
// update and delete the watch delivers, before any other handler runs).
describe('an index of an informer cache', () => {
  type Pod = { metadata: { namespace: string; name: string }; spec: { nodeName?: string; volumes?: string[] } };
  const pod = (name: string, nodeName?: string, ns = 'default'): Pod => ({ metadata: { namespace: ns, name }, spec: { nodeName } });
  const names = (pods: Pod[]) => pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
  const byNode = () => new CacheIndex<Pod>((p) => (p.spec.nodeName ? [p.spec.nodeName] : []));

  it('finds the objects filed under a value, across namespaces, and nothing for an unknown value', () => {
    const index = byNode();
    index.file(pod('a', 'n1'));
    index.file(pod('a', 'n1', 'other'));
    index.file(pod('b', 'n2'));
    index.file(pod('pending'));
    expect(names(index.get('n1'))).to.deep.equal(['default/a', 'other/a']);
    expect(names(index.get('n2'))).to.deep.equal(['default/b']);
    expect(index.get('n3')).to.deep.equal([]);
  });

  it('moves an updated object to its new values and hands out its latest version', () => {
    const index = byNode();
    index.file(pod('a'));
    const bound = pod('a', 'n1');
    index.file(bound);
    expect(index.get('n1')).to.deep.equal([bound]);
    index.file(pod('a', 'n2'));
    expect(index.get('n1')).to.deep.equal([]);
    expect(names(index.get('n2'))).to.deep.equal(['default/a']);
  });

  it('forgets a deleted object, and files an object under each of several values', () => {
    const index = new CacheIndex<Pod>((p) => p.spec.volumes ?? []);
    const p = { ...pod('a'), spec: { volumes: ['data', 'logs'] } };
    index.file(p);
    expect(index.get('data')).to.deep.equal([p]);
    expect(index.get('logs')).to.deep.equal([p]);
    index.drop(p);
    expect(index.get('data')).to.deep.equal([]);
    expect(index.get('logs')).to.deep.equal([]);
  });
});
