// Storage key layout: built-in resources under /registry/<resource>/, custom resources under
// /registry/<group>/<resource>/ (a segment with a dot is a group), each with its own watch cache.
import { expect } from 'chai';
import { describeKey, resourcePrefixOf } from '../src/storage/keys.ts';

describe('storage keys', () => {
  it('one watch-cache prefix per resource, custom resources included', () => {
    expect(resourcePrefixOf('/registry/pods/default/web')).to.equal('/registry/pods/');
    expect(resourcePrefixOf('/registry/pods/')).to.equal('/registry/pods/');
    expect(resourcePrefixOf('/registry/stable.example.com/crontabs/default/nightly')).to.equal('/registry/stable.example.com/crontabs/');
    expect(resourcePrefixOf('/registry/stable.example.com/crontabs/')).to.equal('/registry/stable.example.com/crontabs/');
    expect(resourcePrefixOf('/registry/stable.example.com/crontabs/default/')).to.equal('/registry/stable.example.com/crontabs/');
    // a whole group, or everything, spans several resources
    expect(resourcePrefixOf('/registry/stable.example.com/')).to.equal(undefined);
    expect(resourcePrefixOf('/registry/')).to.equal(undefined);
  });

  it("error messages name a custom resource's group, resource and name", () => {
    expect(describeKey('/registry/stable.example.com/crontabs/default/nightly')).to.deep.equal({
      group: 'stable.example.com',
      resource: 'crontabs',
      name: 'nightly',
    });
    expect(describeKey('/registry/cluster.example.com/regions/eu')).to.deep.equal({ group: 'cluster.example.com', resource: 'regions', name: 'eu' });
    expect(describeKey('/registry/pods/default/web')).to.deep.equal({ group: '', resource: 'pods', name: 'web' });
  });
});
