/**
 * The one response shaper: turns the canonical (OpenAI) JSON body or SSE stream into what this client gets —
 * the client's API when it is not OpenAI's (ingress), and without the usage chunk it did not ask for. Live
 * streams, JSON responses and cache replays all go through it, so they cannot drift apart.
 */
import type { GatewayError } from '../errors/catalogue.js';
import { UsageChunkFilter } from '../stream/strip-usage.js';
import type { Ingress, IngressStream } from './ingress.js';
import type { ParsedRequest } from './validate.js';

const asBuffer = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b) : b);

export class ResponseShaper {
  private usageFilter: UsageChunkFilter | undefined;
  private ingressStream: IngressStream | undefined;

  constructor(
    private readonly ingress: Ingress | undefined,
    private readonly model: string,
    /** The client streams without `stream_options.include_usage`: the usage-only chunk is removed. */
    private readonly stripUsage: boolean,
    /** The client's request, for ingresses whose stream opens with request facts (Anthropic's input_tokens). */
    private readonly parsed?: ParsedRequest,
  ) {}

  /** A complete canonical JSON response → the client's body. Throws when the body cannot be translated. */
  json(canonical: Buffer | string): Buffer | string {
    return this.ingress ? this.ingress.response(canonical, this.model) : canonical;
  }

  /** Begin shaping a stream (a live one or a replay). */
  startStream(): void {
    if (this.stripUsage) this.usageFilter = new UsageChunkFilter();
    if (this.ingress) this.ingressStream = this.ingress.stream(this.model, this.parsed);
  }

  /** Canonical SSE bytes → the client's bytes (possibly empty while an event is incomplete). */
  push(canonical: Buffer | string): Buffer | string {
    let out: Buffer | string = canonical;
    if (this.usageFilter) out = this.usageFilter.push(out);
    if (this.ingressStream && out.length > 0) out = this.ingressStream.push(asBuffer(out));
    return out;
  }

  /** The last canonical bytes of a stream → the client's final bytes. */
  end(tail: Buffer | string): Buffer | string {
    let out: Buffer | string = tail;
    if (this.usageFilter) out = this.usageFilter.end(out);
    if (this.ingressStream) out = (out.length > 0 ? this.ingressStream.push(asBuffer(out)) : '') + this.ingressStream.end();
    return out;
  }

  /** A whole stored canonical stream (cache replay), shaped as a live one would be. */
  replay(canonical: Buffer | string): Buffer | string {
    this.startStream();
    return this.end(canonical);
  }

  /** An error body for a response whose headers are not sent yet. */
  errorBody(e: GatewayError): string {
    return this.ingress ? this.ingress.error(e) : e.toJSON();
  }

  /** An in-band error event for a stream that already started. */
  streamError(e: GatewayError): string {
    return this.ingress ? this.ingress.streamError(e) : `data: ${e.toJSON()}\n\n`;
  }
}
