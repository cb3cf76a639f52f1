import { expect } from 'chai';
import {
  fromLabelSelectorObject,
  labelSelectorToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../src/registry/selectors.ts';
import { ApiError } from '../src/errors.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=db', false],
    ['app in (web,db)', true],
    ['app notin (web)', false],
    ['app notin (db)', true],
    ['tier', true],
    ['!tier', false],
    ['missing', false],
    ['!missing', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app in (db, web), env', true],
    ['missing!=x', true],
  ];
  for (const [sel, want] of cases) {
    it(`"${sel}" ${want ? 'matches' : 'does not match'}`, () => {
      expect(matchesLabels(parseLabelSelector(sel), labels)).to.equal(want);
    });
  }
  it('rejects malformed selectors with 400', () => {
    for (const bad of ['app in web', 'app in (web', '=x', 'a b']) {
      expect(() => parseLabelSelector(bad), bad)
        .to.throw(ApiError)
        .with.property('code', 400);
    }
  });
  it('converts metav1.LabelSelector and prints it as kubectl shows it', () => {
    const sel = fromLabelSelectorObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'x', operator: 'DoesNotExist' },
      ],
    });
    expect(labelSelectorToString(sel)).to.equal('app=web,tier in (a,b),!x');
    expect(matchesLabels(sel.requirements, { app: 'web', tier: 'a' })).to.equal(true);
    expect(matchesLabels(sel.requirements, { app: 'web', tier: 'c' })).to.equal(false);
  });
});

describe('field selectors', () => {
  it('parses the terms kubectl describe node sends', () => {
    const reqs = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed');
    expect(reqs).to.have.length(3);
    expect(matchesFields(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Running' })).to.equal(true);
    expect(matchesFields(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Failed' })).to.equal(false);
    expect(matchesFields(reqs, { 'spec.nodeName': 'n2', 'status.phase': 'Running' })).to.equal(false);
  });
  it('treats a missing field as empty and supports ==', () => {
    expect(matchesFields(parseFieldSelector('spec.nodeName=='), {})).to.equal(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName!='), {})).to.equal(false);
  });
  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).to.throw(ApiError);
  });
});
