/**
 * For deployments that hide upstream error bodies (admin-added ones, see Deployment.hideUpstreamErrorBodies): an
 * error event inside a stream (`data: {"error":{…}}`, also Anthropic's `{"type":"error","error":{…}}`) keeps its
 * type and code, and its message is replaced, as the error ladder does for non-2xx answers. Wraps any
 * StreamTranslator (pass-through or translating), so no provider needs its own rule.
 *
 * Output is released at event boundaries (a blank line, LF or CRLF): a client cannot use half an event, and an
 * error event split across upstream chunks must be seen whole to be rewritten. Events that do not mention
 * "error" are passed on as bytes, unparsed.
 */
import { StringDecoder } from 'node:string_decoder';
import type { StreamTranslator, Usage } from '../adapter.js';

const MAX_HELD = 1024 * 1024;

function rewriteEvent(event: string, message: string): string {
  if (!event.includes('"error"')) return event;
  return event.replace(/^data:[ \t]?(.*)$/gm, (line, data: string) => {
    try {
      const v = JSON.parse(data) as { error?: unknown };
      if (typeof v !== 'object' || v === null || typeof v.error !== 'object' || v.error === null) return line;
      (v.error as { message?: unknown }).message = message;
      return `data: ${JSON.stringify(v)}`;
    } catch {
      return line;
    }
  });
}

/** The end (exclusive) of the last event boundary in `s`, or -1. */
function lastBoundary(s: string): number {
  const lf = s.lastIndexOf('\n\n');
  const crlf = s.lastIndexOf('\r\n\r\n');
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 4);
}

export class HiddenStreamErrors implements StreamTranslator {
  private held = '';
  /** Bytes of a character split across upstream chunks wait for the rest (pass-through output is raw bytes). */
  private readonly decoder = new StringDecoder('utf8');
  private readonly message: string;

  constructor(
    private readonly inner: StreamTranslator,
    deploymentId: string,
  ) {
    this.message = `The provider's stream ended with an error on deployment '${deploymentId}' (its message is not shown for this deployment).`;
  }

  get usage(): Usage | undefined {
    return this.inner.usage;
  }

  push(chunk: Buffer): string {
    return this.release(this.inner.push(chunk), false);
  }

  end(): string {
    return this.release(this.inner.end(), true);
  }

  private release(out: Buffer | string, last: boolean): string {
    const text = this.held + (typeof out === 'string' ? out : this.decoder.write(out)) + (last ? this.decoder.end() : '');
    const cut = last || text.length > MAX_HELD ? text.length : lastBoundary(text);
    if (cut <= 0) {
      this.held = text;
      return '';
    }
    this.held = text.slice(cut);
    return text
      .slice(0, cut)
      .split(/(?<=\r?\n\r?\n)/)
      .map((e) => rewriteEvent(e, this.message))
      .join('');
  }
}
