/**
 * What the edge KVS holds, shared by the publisher and (as literal names) the viewer-request function:
 *
 * | KVS key        | value                                              | written by                     |
 * |----------------|----------------------------------------------------|--------------------------------|
 * | `sig:<n>`      | signing secret of version n (decimal)              | setSigningSecret               |
 * | `k:<keyId>`    | KeyState JSON `{"s":"r"|"b","h":region,"x":expiry}`| revoke, block, setHomeRegion   |
 * | `regions`      | RegionTable JSON                                   | setRegionHealth                |
 * | `ov`           | origin-verification header value                   | setOriginVerifySecret          |
 * | `mk`           | hex SHA-256 of the master key                      | setMasterKey                   |
 *
 * Only keys that differ from "active, no home region" have a `k:` entry, so the store stays far below 5 MB.
 */

export const KVS_LIMITS = Object.freeze({
  /** Total store size in bytes (keys + values), not adjustable. */
  storeBytes: 5 * 1024 * 1024,
  keyBytes: 512,
  valueBytes: 1024,
  /** Puts + deletes per UpdateKeys call. */
  batch: 50,
});

export const kvsKey = {
  signingSecret: (version: number): string => `sig:${version}`,
  keyState: (keyId: string): string => `k:${keyId}`,
  regions: 'regions',
  originVerify: 'ov',
  masterKeyHash: 'mk',
} as const;

export interface KeyState {
  /** r = revoked, b = blocked; absent = active. */
  s?: 'r' | 'b';
  /** Home region (data residency). */
  h?: string;
  /** The key's own expiry (epoch seconds): after it the entry is useless and is pruned. */
  x?: number;
}

/** The `regions` row: declared in the shared contract (the edge function reads the same fields). */
export type { RegionEntry, RegionTable } from '../../shared/contract/region-health.js';

export function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The encoded entry for a key state, or null when the state needs no entry. */
export function encodeKeyState(st: KeyState): string | null {
  const out: KeyState = {};
  if (st.s) out.s = st.s;
  if (st.h) out.h = st.h;
  if (st.s === undefined && st.h === undefined) return null;
  if (st.x !== undefined) out.x = st.x;
  return JSON.stringify(out);
}

export function entryBytes(key: string, value: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(value);
}
