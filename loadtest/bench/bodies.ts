/**
 * Request bodies of an exact size: a chat request to `mock-1` whose prompt is padded with words until the
 * JSON is `bytes` long (1 KB = 1,024 bytes; 1.2 KB = 1,229 bytes, the size of the harness body).
 */

export interface BodySize {
  label: string;
  bytes: number;
}

/** `1k,1.2k,600` → sizes in bytes (k = 1,024). */
export function parseBodySizes(list: string): BodySize[] {
  return list.split(',').map((raw) => {
    const label = raw.trim();
    const m = /^(\d+(?:\.\d+)?)(k?)$/i.exec(label);
    if (!m) throw new Error(`bench: body size "${label}" is not a number of bytes or of k (1,024 bytes)`);
    return { label, bytes: Math.round(Number(m[1]) * (m[2] ? 1024 : 1)) };
  });
}

const WORDS = 'the sky over the harbour turns from grey to a pale gold as the wind drops and the gulls come back'.split(' ');

const cache = new Map<string, string>();

/** A chat body of exactly `bytes` bytes (or the smallest valid one when `bytes` is smaller). */
export function chatBody(bytes: number, stream: boolean): string {
  const key = `${bytes}/${stream}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const make = (content: string) =>
    JSON.stringify({
      model: 'mock-1',
      messages: [
        { role: 'system', content: 'You answer in one short sentence.' },
        { role: 'user', content },
      ],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  let content = 'Say something short about the sky.';
  let i = 0;
  while (Buffer.byteLength(make(content)) < bytes) content += ' ' + WORDS[i++ % WORDS.length];
  while (Buffer.byteLength(make(content)) > bytes && content.length > 1) content = content.slice(0, -1);
  const body = make(content);
  cache.set(key, body);
  return body;
}
