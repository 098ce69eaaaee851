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
});
