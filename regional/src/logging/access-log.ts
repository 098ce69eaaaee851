/**
 * The access log's line writer: one line per request, the same JSON line pino writes for `logger.info(obj)`
 * (level, time, the logger's bindings, then the object's fields; undefined fields left out), built by hand and
 * appended to the logger's own line buffer. pino's general path (hooks, serializers, a character loop per
 * string) is the cost this skips; lines stay in order with pino's because both append to one buffer.
 *
 * `infoFields(text)` takes the fields already as JSON text, for a caller that writes them straight from its own
 * state (usage-event.ts: no object per line, no lookup per key).
 *
 * `accessLogOf(logger)` returns the writer registered for a logger made by createLogger, else the logger
 * itself (tests pass their own).
 */
import { pino, type Logger } from 'pino';
import { flatString, jsonValue } from './json-text.js';
import type { LineBuffer } from './line-buffer.js';

export interface InfoWriter {
  info(obj: object): void;
  /**
   * The same line from the object's fields already as JSON text: each member preceded by a comma
   * (`,"requestId":"r1","status":200`), members JSON.stringify would leave out absent. Only the registered
   * writer has it: the caller builds the text without building the object (usage-event.ts).
   */
  infoFields?(fields: string): void;
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

/** One pino-compatible info line for `obj` (without the trailing newline). */
export function infoLine(bindings: string, time: number, obj: object): string {
  let line = `{"level":30,"time":${time}${bindings}`;
  const o = obj as Record<string, unknown>;
  for (const key in o) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) continue;
    const json = jsonValue(o[key]);
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
      dest.write(flatString(infoLine(bindings, Date.now(), obj) + '\n'));
    },
    infoFields(fields: string): void {
      if (logger.levelVal > INFO) return;
      dest.write(flatString('{"level":30,"time":' + Date.now() + bindings + fields + '}\n'));
    },
  });
}

/** The access-log writer for this logger: the fast one when registered, else the logger's own `info`. */
export function accessLogOf(logger: InfoWriter): InfoWriter {
  return writers.get(logger as Logger) ?? logger;
}
