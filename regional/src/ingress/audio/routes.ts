/**
 * Routes of the media endpoints that are not JSON both ways: `POST /v1/audio/transcriptions`,
 * `/v1/audio/translations` and `/v1/images/edits` (multipart uploads streamed through under
 * SKYWAY_MEDIA_MAX_UPLOAD_BYTES) and `/v1/audio/speech` (JSON in, audio streamed back). See README.md here.
 */
import { InvalidApiKey, InvalidRequest, MethodNotAllowed, type GatewayError } from '../../errors/catalogue.js';
import type { Gateway } from '../../pipeline/context.js';
import { parseJsonObject } from '../../validation/index.js';
import type { RouteHandler, RouteKit } from '../responses/routes.js';
import { MediaRequest } from './media-request.js';
import type { MediaOp } from './media-usage.js';

function uploadHandler(gw: Gateway, kit: RouteKit, op: MediaOp): RouteHandler {
  return (ex, req) => {
    if (!kit.originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = kit.tokenOf(req);
    const declared = Number(req.getHeader('content-length') || 0);
    const s = gw.settings;
    const r = new MediaRequest(gw, ex, op);
    r.uploadCap = s.mediaMaxUploadBytes;
    r.startUpload(token, req.getHeader('content-type'), Number.isFinite(declared) ? declared : 0, {
      maxBytes: s.mediaMaxUploadBytes,
      lookaheadBytes: s.mediaLookaheadBytes,
      timeoutMs: s.bodyTimeoutMs,
    });
  };
}

/** `/v1/audio/speech`: the body is a small JSON object; `model` and `input` are required. */
function speechHandler(gw: Gateway, kit: RouteKit): RouteHandler {
  return (ex, req) => {
    if (!kit.originVerified(gw, req)) return ex.sendError(new InvalidApiKey('This gateway only accepts requests through its edge.', 'origin_not_verified'));
    const token = kit.tokenOf(req);
    const declared = Number(req.getHeader('content-length') || 0);
    const r = new MediaRequest(gw, ex, 'speech');
    const fail = (e: GatewayError) => r.failed(e);
    ex.readBody(gw.settings.maxBodyBytes, Number.isFinite(declared) ? declared : 0, gw.settings.bodyTimeoutMs, r.guard((raw: Buffer) => {
      const body = parseJsonObject(raw);
      if (typeof body.model !== 'string' || !body.model) throw new InvalidRequest("you must provide a 'model' parameter", 'model', 'missing_required_parameter');
      if (typeof body.input !== 'string') throw new InvalidRequest("you must provide an 'input' parameter (a string)", 'input', 'missing_required_parameter');
      if (body.stream_format === 'sse') throw new InvalidRequest("stream_format 'sse' is not supported: the audio is streamed back as it is made", 'stream_format');
      r.runJson(token, raw, body);
    }), fail);
  };
}

/** Mount the routes (with and without `/v1`). */
export function mountAudioRoutes(gw: Gateway, kit: RouteKit): void {
  const routes: Array<[string, RouteHandler]> = [
    ['/audio/transcriptions', uploadHandler(gw, kit, 'transcriptions')],
    ['/audio/translations', uploadHandler(gw, kit, 'translations')],
    ['/images/edits', uploadHandler(gw, kit, 'image_edits')],
    ['/audio/speech', speechHandler(gw, kit)],
  ];
  for (const [path, handler] of routes) {
    for (const p of [`/v1${path}`, path]) {
      kit.mount('post', p, handler);
      kit.mount('any', p, (ex, req) => ex.sendError(new MethodNotAllowed(req.getMethod().toUpperCase(), req.getUrl(), ['POST'])));
    }
  }
}
