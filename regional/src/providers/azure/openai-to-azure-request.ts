/** OpenAI request → Azure OpenAI request: the body passes through; only the URL and auth differ. */
import type { Operation } from '../adapter.js';
import type { AzureOptions } from './options.js';

const OPERATION_PATH: Record<Operation, string> = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
  // Not routed yet: Responses requests reach Azure translated to chat completions (ingress/responses).
  responses: 'responses',
  images: 'images/generations',
  moderations: 'moderations',
  image_edits: 'images/edits',
  speech: 'audio/speech',
  transcriptions: 'audio/transcriptions',
  translations: 'audio/translations',
};

/** `/openai/deployments/<name>/chat/completions?api-version=…` or, for api_version v1, `/openai/v1/chat/completions`. */
export function azurePath(prefix: string, op: Operation, deployment: string, o: AzureOptions): string {
  if (o.api_version === 'v1') return `${prefix}/openai/v1/${OPERATION_PATH[op]}`;
  return `${prefix}/openai/deployments/${encodeURIComponent(deployment)}/${OPERATION_PATH[op]}?api-version=${encodeURIComponent(o.api_version)}`;
}

/**
 * The body to send. The raw bytes go unchanged unless a field must change: the v1 API takes the deployment
 * name as `model`, and streams ask for usage so that spend can be settled.
 */
export function azureBody(body: Record<string, unknown>, raw: Buffer, stream: boolean, deployment: string, o: AzureOptions): Buffer | string {
  const needsModel = o.api_version === 'v1' && body.model !== deployment;
  const needsUsage = stream && (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage !== true;
  if (!needsModel && !needsUsage) return raw;
  const out: Record<string, unknown> = { ...body };
  if (needsModel) out.model = deployment;
  if (needsUsage) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
  return JSON.stringify(out);
}
