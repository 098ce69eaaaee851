/** Table-driven checks for the request validators: accepted bodies pass, rejected ones fail with status, code, param. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GatewayError } from '../regional/src/errors/catalogue.js';

export interface Rejection {
  name: string;
  body: Record<string, unknown>;
  code: string;
  /** The path the error names (`messages[1].role`), or null. */
  param: string | null;
  /** 400 unless told. */
  status?: number;
}

export function acceptsAll(validate: (body: Record<string, unknown>) => unknown, cases: Array<[string, Record<string, unknown>]>): void {
  for (const [name, body] of cases) {
    it(`accepts ${name}`, () => {
      assert.doesNotThrow(() => validate(body));
    });
  }
}

export function rejectsAll(validate: (body: Record<string, unknown>) => unknown, cases: Rejection[]): void {
  for (const c of cases) {
    it(`rejects ${c.name} (${c.code} at ${c.param})`, () => {
      assert.throws(
        () => validate(c.body),
        (err: unknown) => {
          assert.ok(err instanceof GatewayError, `not a catalogue error: ${String(err)}`);
          assert.equal(err.status, c.status ?? 400);
          assert.equal(err.code, c.code, err.message);
          assert.equal(err.param, c.param, err.message);
          assert.ok(err.message.length > 10);
          return true;
        },
      );
    });
  }
}
