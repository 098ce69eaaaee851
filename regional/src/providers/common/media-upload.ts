/** Headers of a multipart upload passed through to an OpenAI-compatible or Azure upstream. */
import type { MediaUpload } from '../adapter.js';

/** The deployment's headers (auth, extras) with the client's multipart content type and length. */
export function mediaHeaders(base: Readonly<Record<string, string>>, upload: MediaUpload): Record<string, string> {
  const h: Record<string, string> = { ...base, 'content-type': upload.contentType };
  if (upload.contentLength !== undefined) h['content-length'] = String(upload.contentLength);
  return h;
}
