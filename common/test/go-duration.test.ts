// Go's time.Duration text: the one parser and printer every component uses.
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration, parseGoDurationMs, parseGoDurationSeconds } from '../src/go-duration.ts';

describe('Go durations', () => {
  it('parses what time.ParseDuration takes', () => {
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('500ms'), 500e6);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('-2h45m'), -9900e9);
    assert.equal(parseGoDuration('+5s'), 5e9);
    assert.equal(parseGoDuration('.5s'), 500e6);
    assert.equal(parseGoDuration('1.s'), 1e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('3ns'), 3);
    assert.equal(parseGoDuration('2us'), 2000);
    // both micro signs: U+00B5 and the Greek U+03BC
    assert.equal(parseGoDuration('2\u00b5s'), 2000);
    assert.equal(parseGoDuration('2\u03bcs'), 2000);
  });

  it('refuses what time.ParseDuration refuses', () => {
    for (const text of ['', '1', '1x', 's', '-', '1m 30s', '.s', '5 s', '1d']) {
      assert.throws(() => parseGoDuration(text), /invalid duration/, text);
      assert.equal(parseGoDurationSeconds(text), undefined, text);
    }
  });

  it('gives seconds, and flag milliseconds that also take bare seconds', () => {
    assert.equal(parseGoDurationSeconds('1m30s'), 90);
    assert.equal(parseGoDurationSeconds('250ms'), 0.25);
    assert.equal(parseGoDurationMs('15s'), 15_000);
    assert.equal(parseGoDurationMs('2'), 2000);
    assert.throws(() => parseGoDurationMs('-1s'), /invalid duration "-1s"/);
  });

  it('prints as time.Duration.String() does', () => {
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(3600e9), '1h0m0s');
    assert.equal(formatGoDuration(1.5e9), '1.5s');
    assert.equal(formatGoDuration(500e6), '500ms');
    assert.equal(formatGoDuration(1500), '1.5\u00b5s');
    assert.equal(formatGoDuration(-90e9), '-1m30s');
  });
});
