/**
 * The client's side of a multipart upload: reads the body as it streams in (under the upload cap and the body
 * deadline), parses its small fields as they pass, holds the bytes before `model` (at most the lookahead), and
 * once the deployment is known hands undici a body that starts with the held bytes and goes on with the live
 * ones. A refusal before the body ended waits for its end (the rest is dropped), so that clients see it.
 */
import { InvalidRequest, type GatewayError } from '../../errors/catalogue.js';
import { MultipartFields, rewriteModelPart } from './multipart-fields.js';
import { UploadBody } from './upload-body.js';
import type { MediaExchange, UploadLimits } from './media-request.js';

/** Bytes fed to the multipart parser at a time while `model` is not known yet. */
const PARSE_SLICE = 16 * 1024;

export interface IntakeEvents {
  /** The `model` part arrived (once). */
  model(name: string): void;
  /** Refuse the request (answered now or once the body ended, see MediaRequest.failed). */
  refuse(err: GatewayError): void;
  /** Answer this error now (the body ended, or it is the 413 / 408 of the transport). */
  answer(err: GatewayError): void;
}

export class UploadIntake {
  fields: MultipartFields | undefined;
  /** Content-Length the client declared (undefined: chunked). */
  readonly declared: number | undefined;
  bodyEnded = false;
  /** Body bytes received so far. */
  received = 0;
  private boundary = '';
  private model = '';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private upload: UploadBody | undefined;
  private pending: GatewayError | undefined;
  private discarding = false;

  constructor(
    private readonly ex: MediaExchange,
    private readonly contentType: string,
    declared: number,
    private readonly limits: UploadLimits,
    private readonly events: IntakeEvents,
    /** Wraps callbacks in the request's error boundary. */
    guard: <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => void,
  ) {
    this.declared = declared > 0 ? declared : undefined;
    ex.streamBody(
      limits.maxBytes,
      declared,
      limits.timeoutMs,
      guard((part: Buffer, isLast: boolean) => this.onChunk(part, isLast)),
      guard((err: GatewayError) => {
        this.pending = undefined;
        events.answer(err);
      }),
      guard(() => this.discard()),
    );
    const boundary = MultipartFields.boundaryOf(contentType);
    if (!boundary) {
      // Answered once the body ended (nothing was read yet).
      this.defer(new InvalidRequest('This endpoint takes multipart/form-data with a boundary.', null, 'invalid_content_type'));
      return;
    }
    this.boundary = boundary;
    this.fields = new MultipartFields(contentType, {
      field: (name, value) => {
        if (name !== 'model' || this.model) return;
        this.model = value;
        // Guarded here: a throw must not unwind through the parser (it would read as a parse error).
        guard(() => events.model(value))();
      },
      malformed: (err) => {
        if (!this.upload) events.refuse(err);
      },
    });
  }

  /** A refusal is waiting for the body's end, or the body is being dropped. */
  get stopped(): boolean {
    return this.discarding || this.pending !== undefined;
  }

  /** Keep `err` for the body's end and drop the rest of the body. */
  defer(err: GatewayError): void {
    this.pending ??= err;
    this.discard();
  }

  private onChunk(part: Buffer, isLast: boolean): void {
    if (isLast) this.bodyEnded = true;
    this.received += part.length;
    if (this.discarding) {
      if (isLast && this.pending) {
        const err = this.pending;
        this.pending = undefined;
        this.events.answer(err);
      }
      return;
    }
    if (this.model) this.fields?.push(part, isLast);
    else {
      // Parsed in slices, so that where `model` starts is known to within a slice, however large the chunk.
      for (let at = 0; ; at += PARSE_SLICE) {
        const end = Math.min(part.length, at + PARSE_SLICE);
        this.fields?.push(part.subarray(at, end), isLast && end === part.length);
        if (this.discarding) return;
        if (!this.model && this.heldBytes + end > this.limits.lookaheadBytes) {
          return this.events.refuse(
            new InvalidRequest(`The 'model' part must come within the first ${this.limits.lookaheadBytes} bytes of the body (send it before the file).`, 'model', 'model_part_too_late'),
          );
        }
        if (end >= part.length) break;
      }
    }
    if (this.upload) return this.upload.feed(part, isLast);
    this.held.push(part);
    this.heldBytes += part.length;
    if (isLast && !this.model && !this.discarding) this.events.refuse(new InvalidRequest("you must provide a 'model' parameter", 'model', 'missing_required_parameter'));
  }

  /** Stop forwarding and read the rest of the body to the void. */
  discard(): void {
    this.discarding = true;
    this.fields?.stop();
    this.held = [];
    this.heldBytes = 0;
    this.upload?.destroy();
    this.ex.resumeBody();
  }

  /** Stop forwarding (the upstream call ended or was cut). */
  destroy(): void {
    this.fields?.stop();
    this.upload?.destroy();
  }

  /**
   * The body for the upstream: the held bytes (the `model` part renamed when the upstream knows the model by
   * another name) then the live ones. Returns its content type and length (adjusted for a rename).
   */
  takeBody(publicModel: string, upstreamModel: string): { contentType: string; contentLength: number | undefined; body: UploadBody } {
    let head = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    let length = this.declared;
    if (upstreamModel !== publicModel) {
      const renamed = rewriteModelPart(head, this.boundary, publicModel, upstreamModel);
      if (!renamed) throw new InvalidRequest("The 'model' part could not be renamed for the upstream.", 'model');
      if (length !== undefined) length += renamed.length - head.length;
      head = renamed;
    }
    const body = new UploadBody(this.ex);
    this.upload = body;
    body.feed(head, this.bodyEnded);
    return { contentType: this.contentType, contentLength: length, body };
  }
}
