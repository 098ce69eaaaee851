/**
 * The access log's line writer: one line per request, the same JSON line pino writes for `logger.info(obj)`
 * (level, time, the logger's bindings, then the object's fields; undefined fields left out), built by hand and
 * appended to the logger's own line buffer. pino's general path (hooks, serializers, a character loop per
 * string) is the cost this skips; lines stay in order with pino's because both append to one buffer.
 *
 * `accessLogOf(logger)` returns the writer registered for a logger made by createLogger, else the logger
 * itself (tests pass their own).
 */
import { pino, type Logger } from 'pino';
import type { LineBuffer } from './line-buffer.js';

export interface InfoWriter {
  info(obj: object): void;
}

const INFO = 30;
const writers = new WeakMap<Logger, InfoWriter>();

/** `,"key":` for each field name seen (names come from code, a handful per process). */
const keyPrefixes = new Map<string, string>();

function prefixOf(key: string): string {
  let p = keyPrefixes.get(key);
  if (p === undefined) keyPrefixes.set(key, (p = `,${JSON.stringify(key)}:`));
  return p;
}

/** Characters a JSON string cannot hold as they are (quote, backslash, controls) or that JSON.stringify escapes (surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON text of a field's value, or undefined to leave the field out (as JSON.stringify and pino do). */
function valueJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      // Ids, model names and codes are plain ASCII: quoting them is enough (JSON.stringify gives the same text).
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return JSON.stringify(String(v));
    default:
      return JSON.stringify(v);
  }
}

/** One pino-compatible info line for `obj` (without the trailing newline). */
export function infoLine(bindings: string, time: number, obj: object): string {
  let line = `{"level":30,"time":${time}${bindings}`;
  const o = obj as Record<string, unknown>;
  for (const key in o) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) continue;
    const json = valueJson(o[key]);
    if (json !== undefined) line += prefixOf(key) + json;
  }
  return line + '}';
}

/** Registers the fast writer of a logger that writes into `dest` (createLogger does this). */
export function registerAccessLog(logger: Logger, dest: LineBuffer): void {
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  writers.set(logger, {
    info(obj: object): void {
      if (logger.levelVal > INFO) return;
      dest.write(infoLine(bindings, Date.now(), obj) + '\n');
    },
  });
}

/** The access-log writer for this logger: the fast one when registered, else the logger's own `info`. */
export function accessLogOf(logger: InfoWriter): InfoWriter {
  return writers.get(logger as Logger) ?? logger;
}
