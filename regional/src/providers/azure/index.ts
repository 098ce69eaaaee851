/**
 * Azure OpenAI adapter: OpenAI bodies pass through to deployment URLs with an `api-version`; auth by
 * `api-key`, a Microsoft Entra ID token from the client credentials flow, or a ready-made Entra token.
 */
import type { Deployment, MediaUpload, ProviderAdapter, RequestContext, UpstreamRequest } from '../adapter.js';
import { mediaHeaders } from '../common/media-upload.js';
import { splitBase } from '../common/deployment-url.js';
import { azureError } from './azure-errors.js';
import { AzurePassThroughStream, azureResponse } from './azure-to-openai-response.js';
import { entraToken } from './entra-token.js';
import { azureBody, azurePath } from './openai-to-azure-request.js';
import { azureOptions, type AzureOptions } from './options.js';

export const azureAdapter: ProviderAdapter & { validateDeployment(d: Deployment): void } = {
  name: 'azure',

  validateDeployment(d) {
    azureOptions(d);
  },

  async buildRequest(ctx: RequestContext, body, raw, d): Promise<UpstreamRequest> {
    const o = azureOptions(d);
    const name = o.deployment ?? d.upstreamModel;
    const { origin, prefix } = splitBase(d.apiBase);
    const headers = await azureHeaders(d, o);
    return { origin, path: azurePath(prefix, ctx.operation, name, o), method: 'POST', headers, body: azureBody(body, raw, ctx.stream, name, o) };
  },

  /** Multipart uploads pass through; the v1 API reads the deployment name from the `model` part (see ingress/audio). */
  async buildMediaRequest(ctx: RequestContext, d, upload: MediaUpload): Promise<UpstreamRequest> {
    const o = azureOptions(d);
    const { origin, prefix } = splitBase(d.apiBase);
    const headers = mediaHeaders(await azureHeaders(d, o), upload);
    return { origin, path: azurePath(prefix, ctx.operation, o.deployment ?? d.upstreamModel, o), method: 'POST', headers, body: upload.body };
  },

  translateResponse(_ctx, body) {
    return azureResponse(body);
  },

  createStreamTranslator() {
    return new AzurePassThroughStream();
  },

  translateError(status, body, headers, d) {
    return azureError(status, body, headers, d);
  },
};

async function azureHeaders(d: Deployment, o: AzureOptions): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...d.headers };
  if (o.auth === 'api_key') headers['api-key'] = d.apiKey!;
  else if (o.auth === 'entra_token') headers.authorization = `Bearer ${d.apiKey}`;
  else {
    const token = await entraToken({ authorityHost: o.authority_host, tenantId: o.tenant_id!, clientId: o.client_id!, clientSecret: d.apiKey!, scope: o.entra_scope, deploymentId: d.id });
    headers.authorization = `Bearer ${token}`;
  }
  return headers;
}

export default azureAdapter;
