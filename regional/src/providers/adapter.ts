/**
 * The contract between the gateway core and a provider. The core knows no provider's wire format; an adapter
 * knows no HTTP server. Canonical request/response shape inside the gateway: the OpenAI API.
 *
 * The OpenAI-compatible family (OpenAI, vLLM, Ollama, Groq, Together, DeepSeek, OpenRouter…) passes bodies
 * through untouched; other providers translate in their own folder under `providers/<name>/`.
 */
import type { Readable } from 'node:stream';
import type { GatewayError } from '../errors/catalogue.js';

/** What the client asked for, by endpoint. */
export type Operation =
  | 'chat'
  | 'completions'
  | 'embeddings'
  | 'responses'
  | 'images'
  | 'moderations'
  /** The media endpoints whose bodies are not JSON one way or the other (ingress/audio, ingress/media). */
  | 'image_edits'
  | 'speech'
  | 'transcriptions'
  | 'translations';

/** A deployment after configuration is resolved (secrets read, defaults applied). */
export interface Deployment {
  /** Stable id, unique in the config: `<model name>/<index>` unless set. */
  readonly id: string;
  /** Provider adapter name (`openai`, `anthropic`, `bedrock`, `azure`, `gemini`, …). */
  readonly provider: string;
  /** The model name the upstream knows. */
  readonly upstreamModel: string;
  /** Base URL including any path prefix, without a trailing slash, e.g. `https://api.openai.com/v1`. */
  readonly apiBase: string;
  /** Resolved credential (never logged, never returned by any API). */
  readonly apiKey: string | undefined;
  readonly weight: number;
  /** Time allowed for the upstream to send response headers, and between body chunks (ms). */
  readonly timeoutMs: number;
  /** Extra headers sent upstream with every request. */
  readonly headers: Readonly<Record<string, string>>;
  /** Provider-specific settings (api_version, region, …), validated by the adapter. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Set on deployments added through the admin API (an admin chose the URL): a non-2xx upstream body must not
   * reach the client verbatim; the error translators keep status and code and use a generic message.
   */
  readonly hideUpstreamErrorBodies?: boolean;
}

/** The upstream HTTP request an adapter asks the core to send. */
export interface UpstreamRequest {
  /** `https://host:port` — the key of the keep-alive pool. */
  readonly origin: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly method: 'POST' | 'GET';
  readonly headers: Record<string, string>;
  /** A Readable for uploads streamed through as they arrive (multipart audio and image uploads). */
  readonly body: string | Buffer | Readable | undefined;
}

/**
 * Token usage in OpenAI terms: `promptTokens` counts every prompt token, cached or not (Anthropic's and
 * Bedrock's `input_tokens` exclude cache reads and writes; adapters add them back); `completionTokens` counts
 * every generated token, reasoning included. The optional fields say how many of those were of a kind priced
 * apart.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens read from the provider's prompt cache (OpenAI cached_tokens, Anthropic cache_read_input_tokens). */
  cachedPromptTokens?: number;
  /** Prompt tokens written to the provider's prompt cache (Anthropic cache_creation_input_tokens, Bedrock cacheWriteInputTokens). */
  cacheWriteTokens?: number;
  /** Of cacheWriteTokens, those written with a 1-hour lifetime (Anthropic prices them higher). */
  cacheWrite1hTokens?: number;
  /** Completion tokens spent on reasoning (OpenAI reasoning_tokens, Gemini thoughtsTokenCount). */
  reasoningTokens?: number;
  /** Seconds of audio transcribed or translated (priced per second when the price table says so). */
  audioSeconds?: number;
  /** Characters of text turned into speech (priced per character). */
  characters?: number;
  /** Images generated or edited (priced per image). */
  images?: number;
  /** Which per-image price applies: `<quality>/<size>`, `<size>` or `<quality>` as the price table keys them. */
  imageVariant?: string;
}

/** A multipart body on its way through: its content type (with the boundary) and, when known, its length. */
export interface MediaUpload {
  readonly contentType: string;
  /** Byte length of `body`, when the client declared one (the upstream then gets a Content-Length). */
  readonly contentLength: number | undefined;
  readonly body: Buffer | Readable;
}

export interface TranslatedResponse {
  /** OpenAI-shaped JSON body to send to the client. */
  readonly body: Buffer | string;
  readonly usage: Usage | undefined;
}

/** Turns upstream stream bytes into OpenAI SSE bytes (`data: {...}\n\n` … `data: [DONE]\n\n`). */
export interface StreamTranslator {
  /** Feed upstream bytes; returns the bytes to send to the client now (possibly empty). */
  push(chunk: Buffer): Buffer | string;
  /** Upstream ended; returns any final bytes. */
  end(): Buffer | string;
  /** Usage seen so far in the stream (set once the upstream reported it). */
  readonly usage: Usage | undefined;
}

export interface RequestContext {
  readonly requestId: string;
  readonly operation: Operation;
  readonly stream: boolean;
  /** The public model name the client used. */
  readonly model: string;
}

export interface ProviderAdapter {
  readonly name: string;
  /**
   * Build the upstream request. `body` is the parsed client request (OpenAI shape); `raw` its original bytes,
   * which a pass-through adapter may forward unchanged when no field needs rewriting.
   */
  buildRequest(
    ctx: RequestContext,
    body: Record<string, unknown>,
    raw: Buffer,
    deployment: Deployment,
  ): UpstreamRequest | Promise<UpstreamRequest>;
  /** Translate a successful (2xx) non-streaming upstream body. */
  translateResponse(ctx: RequestContext, body: Buffer, deployment: Deployment): TranslatedResponse;
  /** A translator for one streaming response. */
  createStreamTranslator(ctx: RequestContext, deployment: Deployment): StreamTranslator;
  /** Check a deployment's provider settings at config load; throws with a message naming the problem. */
  validateDeployment?(d: Deployment): void;
  /**
   * Build the upstream request of a multipart upload (audio transcriptions and translations, image edits): the
   * body passes through as the client sent it (already rewritten when the upstream knows the model by another
   * name). Only OpenAI-compatible adapters and Azure have it.
   */
  buildMediaRequest?(ctx: RequestContext, deployment: Deployment, upload: MediaUpload): UpstreamRequest | Promise<UpstreamRequest>;
  /** Map a non-2xx upstream response to a catalogue error. */
  translateError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, deployment: Deployment): GatewayError;
}
