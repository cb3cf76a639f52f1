import { expect } from 'chai';
import { parseFieldSelector } from '@skiff/common/apimachinery/field-selector';
import {
  isEmptyLabelSelector,
  labelSelectorMatches,
  labelsSubset,
  parseSelector,
  SelectorError,
  selectorFromNodeSelectorRequirements,
  selectorFromObject,
  selectorFromSet,
} from '@skiff/common/apimachinery/label-selector';

describe('apimachinery: label selectors (string syntax)', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['missing', false],
    ['!tier', false],
    ['!missing', true],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['app>1', false],
    ['missing<1', false],
    ['app in (db, web), tier=front, !canary', true],
    ['app=', false],
    ['constructor', false],
  ];
  for (const [text, want] of cases) {
    it(`"${text}" ${want ? 'matches' : 'does not match'}`, () => {
      expect(parseSelector(text).matches(labels)).to.equal(want);
    });
  }

  it('prints requirements sorted by key, values sorted, as labels.Selector.String', () => {
    expect(parseSelector('tier notin (b,a),app=web,!x,n>1').toString()).to.equal('app=web,n>1,tier notin (a,b),!x');
    expect(parseSelector('a in (x,),b==c').toString()).to.equal('a in (,x),b==c');
  });

  it('refuses malformed selectors with labels.Parse messages', () => {
    const cases: [string, string][] = [
      ['app in web', "found 'web' expected: '('"],
      ['app in (web', "found '', expected: ',' or ')'"],
      ['=x', "found '=', expected: !, identifier, or 'end of string'"],
      ['a b', "found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['a=b c', "found 'c', expected: ',' or 'end of string'"],
      ['a=b,', "found '', expected: identifier after ','"],
      ['!', "found '', expected: identifier"],
      ['n>x', "for 'Gt', 'Lt' operators, the value must be an integer"],
      ['bad key=x', "found 'key', expected: in, notin, =, ==, !=, gt, lt"],
      ['-bad=x', 'name part must consist of alphanumeric characters'],
      ['a=-x', 'a valid label must be an empty string or consist of alphanumeric characters'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseSelector(text), text).to.throw(SelectorError, message);
    }
  });

  it('parses each text once', () => {
    expect(parseSelector('app=web')).to.equal(parseSelector('app=web'));
  });
});

describe('apimachinery: metav1.LabelSelector', () => {
  const sel = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'x', operator: 'DoesNotExist' },
      { key: 'owner', operator: 'Exists' },
    ],
  };

  it('matches with every operator, the same matcher as the string syntax', () => {
    const s = selectorFromObject(sel);
    expect(s.matches({ app: 'web', tier: 'a', owner: 'me' })).to.equal(true);
    expect(s.matches({ app: 'web', tier: 'a', owner: 'me', env: 'prod' })).to.equal(false);
    expect(s.matches({ app: 'web', tier: 'c', owner: 'me' })).to.equal(false);
    expect(s.matches({ app: 'web', tier: 'a', owner: 'me', x: '' })).to.equal(false);
    expect(s.matches({ app: 'web', tier: 'a' })).to.equal(false);
    expect(s.toString()).to.equal('app=web,env notin (prod),owner,tier in (a,b),!x');
    expect(s.toString()).to.equal(parseSelector(s.toString()).toString());
  });

  it('selects nothing when null, everything when empty', () => {
    expect(selectorFromObject(undefined).matches({})).to.equal(false);
    expect(selectorFromObject({}).matches({})).to.equal(true);
    expect(labelSelectorMatches(null, { a: 'b' })).to.equal(false);
    expect(isEmptyLabelSelector({})).to.equal(true);
    expect(isEmptyLabelSelector(null)).to.equal(false);
    expect(isEmptyLabelSelector({ matchLabels: { a: 'b' } })).to.equal(false);
  });

  it('refuses unknown operators and missing values', () => {
    expect(() => selectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).to.throw(
      SelectorError,
      '"Near" is not a valid label selector operator',
    );
    expect(() => selectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In' }] })).to.throw(SelectorError, "values set can't be empty");
    expect(() => selectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).to.throw(SelectorError);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Near' }] }, { a: 'b' })).to.equal(false);
  });

  it('knows Gt and Lt in node selector requirements', () => {
    const s = selectorFromNodeSelectorRequirements([{ key: 'cores', operator: 'Gt', values: ['3'] }]);
    expect(s.matches({ cores: '4' })).to.equal(true);
    expect(s.matches({ cores: '3' })).to.equal(false);
    expect(s.matches({ cores: 'many' })).to.equal(false);
    expect(() => selectorFromNodeSelectorRequirements([{ key: 'cores', operator: 'Lt', values: ['1', '2'] }])).to.throw(SelectorError, 'exactly one value');
  });

  it('uses a set for large value lists', () => {
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const s = selectorFromObject({ matchExpressions: [{ key: 'k', operator: 'In', values }] });
    expect(s.matches({ k: 'v49' })).to.equal(true);
    expect(s.matches({ k: 'v50' })).to.equal(false);
  });

  it('matches Service selectors (plain maps) and label subsets', () => {
    expect(selectorFromSet({ app: 'web' }).matches({ app: 'web', x: 'y' })).to.equal(true);
    expect(selectorFromSet({ app: 'web' }).matches({ app: 'db' })).to.equal(false);
    expect(selectorFromSet({}).matches({})).to.equal(true);
    expect(labelsSubset({ a: '1' }, { a: '1', b: '2' })).to.equal(true);
    expect(labelsSubset({ a: '1', c: '3' }, { a: '1' })).to.equal(false);
  });
});

describe('apimachinery: field selectors', () => {
  it('matches = == and !=, a missing field reading as empty', () => {
    const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed,metadata.namespace==default');
    expect(s.matches({ 'spec.nodeName': 'n1', 'status.phase': 'Running', 'metadata.namespace': 'default' })).to.equal(true);
    expect(s.matches({ 'spec.nodeName': 'n1', 'status.phase': 'Failed', 'metadata.namespace': 'default' })).to.equal(false);
    expect(parseFieldSelector('spec.nodeName=').matches({})).to.equal(true);
    expect(parseFieldSelector('').isEmpty()).to.equal(true);
  });

  it('unescapes values and prints them escaped', () => {
    const s = parseFieldSelector('metadata.name=a\\,b');
    expect(s.requirements[0]?.value).to.equal('a,b');
    expect(s.toString()).to.equal('metadata.name=a\\,b');
  });

  it('refuses a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).to.throw(SelectorError, "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  });
});
