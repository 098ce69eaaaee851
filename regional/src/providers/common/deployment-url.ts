/** Splitting a deployment's api_base into the pool key (origin) and a path prefix. */
import { InvalidRequest } from '../../errors/catalogue.js';

export interface BaseUrl {
  origin: string;
  /** Path prefix without a trailing slash ('' for none). */
  prefix: string;
}

const cache = new Map<string, BaseUrl>();

export function splitBase(apiBase: string): BaseUrl {
  let hit = cache.get(apiBase);
  if (hit) return hit;
  let u: URL;
  try {
    u = new URL(apiBase);
  } catch {
    throw new InvalidRequest(`deployment api_base '${apiBase}' is not a URL`);
  }
  hit = { origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') };
  cache.set(apiBase, hit);
  return hit;
}
