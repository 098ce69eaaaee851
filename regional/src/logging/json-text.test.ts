import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatString, jsonNumber, jsonString, jsonValue, numberText } from './json-text.js';

test('numberText is String(n): every thousandth up to ±300 s, near the 2^31 bound, and numbers it leaves to String()', () => {
  for (let k = -300_000; k <= 300_000; k++) {
    const n = k / 1000;
    if (numberText(n) !== String(n)) assert.equal(numberText(n), String(n), `k=${k}`);
  }
  const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
  const odd = [0, -0, 1, -1, 0.1 + 0.2, 1e-7, 5e-324, 123.4567, 2_147_483.647, 2_147_483.648, -2_147_483.647, 4_294_967.295, 1e21, 1.5e300, Number.MAX_SAFE_INTEGER, 0.0005, 0.0015, 999.9995];
  for (const n of odd) assert.equal(numberText(n), String(n), String(n));
  let seed = 42;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 200_000; i++) {
    const ms = rand() * 10 ** Math.floor(rand() * 9);
    for (const n of [ms, round3(ms), -round3(ms), Math.round(ms)]) if (numberText(n) !== String(n)) assert.equal(numberText(n), String(n), `${ms}`);
  }
});

test('jsonNumber, jsonString and jsonValue write what JSON.stringify writes', () => {
  for (const n of [0, -0, 3.217, -1.5, 1e21, 0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) assert.equal(jsonNumber(n), JSON.stringify(n));
  for (const s of ['', 'plain', 'q"uote', 'back\\slash', 'ctl\u0001\n\t', 'é ключ', 'lone \ud800 surrogate', '\u2028']) assert.equal(jsonString(s), JSON.stringify(s));
  for (const v of [null, true, false, 'x', 2.5, { a: [1, 'b'] }, [null]]) assert.equal(jsonValue(v), JSON.stringify(v));
  assert.equal(jsonValue(undefined), undefined);
  assert.equal(jsonValue(() => 1), undefined);
  assert.equal(jsonValue(10n), '"10"');
});

test('flatString returns the same text', () => {
  let s = '';
  for (let i = 0; i < 100; i++) s += i + ',';
  assert.equal(flatString(s), s);
  assert.equal(flatString(''), '');
});
