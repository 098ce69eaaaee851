/**
 * The OpenAI-compatible family (OpenAI, vLLM, Ollama, Groq, Together, DeepSeek, OpenRouter, …): bodies pass
 * through untouched — unknown fields included — and are re-serialised only when the upstream knows the model
 * by another name.
 */
import type { Deployment, MediaUpload, Operation, ProviderAdapter, RequestContext, StreamTranslator, TranslatedResponse, UpstreamRequest } from '../adapter.js';
import { mediaHeaders } from '../common/media-upload.js';
import { translateOpenAIError } from './errors.js';
import { SseUsageSniffer, usageFromJson } from './usage.js';

const PATHS: Record<Operation, string> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  // Only for deployments marked `responses_api: true` (see ingress/responses/pass-through.ts).
  responses: '/responses',
  // OpenAI-compatible deployments only (see ingress/media).
  images: '/images/generations',
  moderations: '/moderations',
  image_edits: '/images/edits',
  speech: '/audio/speech',
  transcriptions: '/audio/transcriptions',
  translations: '/audio/translations',
};

interface Target {
  origin: string;
  basePath: string;
  headers: Record<string, string>;
}

/** Parsed once per deployment: URL parsing and header building are not per-request work. */
const targets = new WeakMap<Deployment, Target>();

function targetOf(d: Deployment): Target {
  let t = targets.get(d);
  if (!t) {
    const url = new URL(d.apiBase);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...d.headers };
    if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
    t = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), headers };
    targets.set(d, t);
  }
  return t;
}

class PassThroughStream implements StreamTranslator {
  private readonly sniffer = new SseUsageSniffer();
  get usage() {
    return this.sniffer.usage;
  }
  push(chunk: Buffer): Buffer {
    this.sniffer.observe(chunk);
    return chunk;
  }
  end(): string {
    return '';
  }
}

export const openaiAdapter: ProviderAdapter = {
  name: 'openai',

  buildRequest(ctx: RequestContext, body: Record<string, unknown>, raw: Buffer, d: Deployment): UpstreamRequest {
    const t = targetOf(d);
    let payload: Buffer | string = raw;
    if (ctx.operation === 'responses' && body.stream_options) {
      // The pipeline asks every stream for usage (chat's include_usage); a Responses stream always ends with it
      // and the Responses API knows no such option.
      delete body.stream_options;
      payload = JSON.stringify(body);
    }
    if (body.model !== d.upstreamModel) {
      body.model = d.upstreamModel;
      payload = JSON.stringify(body);
    }
    return { origin: t.origin, path: t.basePath + PATHS[ctx.operation], method: 'POST', headers: t.headers, body: payload };
  },

  translateResponse(_ctx: RequestContext, body: Buffer): TranslatedResponse {
    return { body, usage: usageFromJson(body) };
  },

  createStreamTranslator(): StreamTranslator {
    return new PassThroughStream();
  },

  buildMediaRequest(ctx: RequestContext, d: Deployment, upload: MediaUpload): UpstreamRequest {
    const t = targetOf(d);
    return { origin: t.origin, path: t.basePath + PATHS[ctx.operation], method: 'POST', headers: mediaHeaders(t.headers, upload), body: upload.body };
  },

  translateError: translateOpenAIError,
};
