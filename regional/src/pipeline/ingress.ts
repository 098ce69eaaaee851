/**
 * A client API other than OpenAI's (Anthropic Messages today). The pipeline works on canonical OpenAI requests;
 * an ingress translates the client's request in and the response, stream and errors out.
 */
import type { GatewayError } from '../errors/catalogue.js';
import type { ParsedRequest } from './validate.js';
import type { Usage } from '../providers/adapter.js';

export interface IngressStream {
  push(openaiSse: Buffer): string;
  end(): string;
}

export interface Ingress {
  readonly name: string;
  /** Parse and translate the client's body (throws catalogue errors). */
  parse(raw: Buffer): ParsedRequest;
  /** A canonical (OpenAI) JSON response → the client's shape. */
  response(openai: Buffer | string, model: string): string;
  /** Canonical SSE → the client's SSE. The canonical stream always carries usage. */
  stream(model: string, parsed?: ParsedRequest): IngressStream;
  /** An error body in the client's shape. */
  error(e: GatewayError): string;
  /** An error event for a stream that already started. */
  streamError(e: GatewayError): string;
  /**
   * The usage of a JSON answer when the endpoint bills more than tokens (images per image): given the canonical
   * body and the usage the adapter read from it.
   */
  usage?(canonical: Buffer | string, parsed: ParsedRequest, usage: Usage | undefined): Usage | undefined;
}
