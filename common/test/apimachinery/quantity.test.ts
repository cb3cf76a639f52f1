import { expect } from 'chai';
import {
  canonicalQuantity,
  compareQuantities,
  milliQuantity,
  millisOf,
  parseQuantity,
  QuantityError,
  quantityFormatMessage,
  quantitySuffixMessage,
  tryParseQuantity,
  unitQuantity,
  unitsOf,
} from '@skiff/common/apimachinery/quantity';

describe('apimachinery: Quantity', () => {
  it('parses decimal, binary and exponent forms exactly', () => {
    expect(parseQuantity('1.5Gi').value()).to.equal(1610612736);
    expect(parseQuantity('100m').milliValue()).to.equal(100);
    expect(parseQuantity('1e3').value()).to.equal(1000);
    expect(parseQuantity('0.1').milliValue()).to.equal(100);
    expect(parseQuantity('2k').value()).to.equal(2000);
    expect(parseQuantity('-5').value()).to.equal(-5);
    expect(parseQuantity('+3Ki').value()).to.equal(3072);
    expect(parseQuantity('.5').milliValue()).to.equal(500);
    expect(parseQuantity(0.25).milliValue()).to.equal(250);
    expect(parseQuantity('12E').nanos).to.equal(12n * 10n ** 27n);
  });

  it('prints the canonical string Kubernetes prints', () => {
    const cases: [string, string][] = [
      ['1.5Gi', '1536Mi'],
      ['1.5', '1500m'],
      ['0.1', '100m'],
      ['1e3', '1e3'],
      ['1000', '1k'],
      ['1500', '1500'],
      ['1024Ki', '1Mi'],
      ['1.5Ki', '1536'],
      ['0.5Gi', '512Mi'],
      ['100m', '100m'],
      ['1000m', '1'],
      ['0', '0'],
      ['0Gi', '0'],
      ['12e6', '12e6'],
      ['1.5e3', '1500'],
      ['128974848', '128974848'],
      ['129e6', '129e6'],
      ['129000000', '129M'],
      ['123Mi', '123Mi'],
      ['-1.5', '-1500m'],
      ['0.0000000001', '1n'],
      ['1Ei', '1Ei'],
      ['500Mi', '500Mi'],
      ['2000Mi', '2000Mi'],
      ['2048Mi', '2Gi'],
      ['1E', '1E'],
    ];
    for (const [input, want] of cases) expect(canonicalQuantity(input), input).to.equal(want);
  });

  it('rounds MilliValue and Value up, away from zero', () => {
    expect(millisOf('0.1m')).to.equal(1);
    expect(millisOf('1.0001')).to.equal(1001);
    expect(unitsOf('100m')).to.equal(1);
    expect(unitsOf('-100m')).to.equal(-1);
    expect(millisOf(undefined)).to.equal(0);
    expect(unitsOf('')).to.equal(0);
  });

  it('compares exactly, across formats', () => {
    expect(compareQuantities('1Gi', '1073741824')).to.equal(0);
    expect(compareQuantities('1G', '1Gi')).to.equal(-1);
    expect(compareQuantities('1500m', '1.5')).to.equal(0);
    expect(compareQuantities('2', '1999m')).to.equal(1);
    expect(parseQuantity('100m').equals(parseQuantity('0.1'))).to.equal(true);
    expect(parseQuantity('1').add(parseQuantity('500m')).toString()).to.equal('1500m');
    expect(parseQuantity('1Gi').sub(parseQuantity('512Mi')).toString()).to.equal('512Mi');
  });

  it('refuses what Kubernetes refuses, with its messages', () => {
    for (const bad of ['', 'abc', '1Gx', '1KiB', '1.2.3', '1e3.5', 'x1']) {
      expect(() => parseQuantity(bad), bad).to.throw(QuantityError, quantityFormatMessage);
    }
    for (const bad of ['1ki', '1K', '1e', '--1']) {
      expect(() => parseQuantity(bad), bad).to.throw(QuantityError, quantitySuffixMessage);
    }
    expect(tryParseQuantity('nope')).to.equal(undefined);
    expect(tryParseQuantity({})).to.equal(undefined);
    expect(tryParseQuantity('64Mi')?.toString()).to.equal('64Mi');
  });

  it('builds quantities from numbers', () => {
    expect(milliQuantity(1500).toString()).to.equal('1500m');
    expect(unitQuantity(4 * 1024 ** 3, 'BinarySI').toString()).to.equal('4Gi');
    expect(unitQuantity(110).toString()).to.equal('110');
    expect(JSON.stringify({ cpu: milliQuantity(2000) })).to.equal('{"cpu":"2"}');
  });

  it('hands out the same immutable object for the same text (no allocation on the hot path)', () => {
    expect(parseQuantity('250m')).to.equal(parseQuantity('250m'));
  });
});
