import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../errors/catalogue.js';
import { MAX_JSON_DEPTH, jsonDepth, parseJsonObject } from './bounded-json.js';
import { parseRequestBody } from './index.js';

const nested = (depth: number) => '{"model":"m","x":' + '['.repeat(depth - 1) + ']'.repeat(depth - 1) + '}';

function rejects(raw: string | Buffer, code: string): void {
  assert.throws(
    () => parseJsonObject(Buffer.isBuffer(raw) ? raw : Buffer.from(raw)),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && e.code === code,
  );
}

describe('bounded JSON parsing', () => {
  it('measures depth outside strings only, escapes included', () => {
    assert.equal(jsonDepth(Buffer.from('{"a":[1,{"b":2}]}')), 3);
    assert.equal(jsonDepth(Buffer.from('{"a":"[[[[{{{{","b":"\\"[[[[","c":"\\\\"}')), 1);
    assert.equal(jsonDepth(Buffer.from('"unterminated [[[')), 0);
    assert.equal(jsonDepth(Buffer.from('[]')), 1);
  });

  it('agrees with the parsed depth on random documents with quotes and backslashes in long and short strings', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const text = () => Array.from({ length: Math.floor(rand() * 120) }, () => '\\"[]{}ab '[Math.floor(rand() * 10)]).join('');
    const value = (d: number): unknown => {
      const r = rand();
      if (d > 8 || r < 0.3) return r < 0.15 ? text() : Math.floor(r * 100);
      if (r < 0.65) return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => value(d + 1));
      return Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [text(), value(d + 1)]));
    };
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    for (let i = 0; i < 300; i++) {
      const v = value(0);
      assert.equal(jsonDepth(Buffer.from(JSON.stringify(v))), depthOf(v));
    }
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1} with invalid_body`, () => {
    assert.doesNotThrow(() => parseJsonObject(Buffer.from(nested(MAX_JSON_DEPTH))));
    rejects(nested(MAX_JSON_DEPTH + 1), 'invalid_body');
  });

  it('refuses 200,000 levels (400 KB) without overflowing the stack', () => {
    const deep = '{"model":"m","messages":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}';
    rejects(deep, 'invalid_body');
    assert.throws(() => parseRequestBody(Buffer.from(deep), 'chat'), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_body');
  });

  it('refuses empty bodies, malformed JSON and non-objects', () => {
    rejects(Buffer.alloc(0), 'empty_body');
    rejects('{"model": ', 'invalid_json');
    rejects('[1,2]', 'invalid_body');
    rejects('"text"', 'invalid_body');
    rejects('null', 'invalid_body');
  });
  it('refuses bodies that are not valid UTF-8 with invalid_json, and accepts escaped lone surrogates', () => {
    for (const bad of [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0x80]), Buffer.from('"}')]), Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])]) {
      assert.throws(() => parseJsonObject(bad), (e: GatewayError) => e.code === 'invalid_json' && /UTF-8/.test(e.message));
    }
    assert.deepEqual(parseJsonObject(Buffer.from('{"a":"\\ud800x","b":"é😀"}')), { a: '\ud800x', b: 'é😀' });
  });
});
