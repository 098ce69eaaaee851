/**
 * Data residency on the gateway side. The edge sends a pinned key only to its home region; the gateway re-checks,
 * because the edge reads a region table that can be stale (KVS propagation) and because the edge is a
 * pre-filter, never the authority. A pinned key served here would put its usage records, traces and archived
 * payloads in this region's stores, so it is refused instead.
 */
import { HomeRegionUnavailable } from '../errors/catalogue.js';
import type { Principal } from './principal.js';

/**
 * Throws HomeRegionUnavailable (503 `home_region_unavailable`) when `principal` is pinned to a region other
 * than `region` (this gateway's SKYWAY_REGION).
 *
 * @example assertServedHere(principal, gw.settings.region) // right after authentication
 */
export function assertServedHere(principal: Principal, region: string): void {
  if (principal.homeRegion !== undefined && principal.homeRegion !== region) throw new HomeRegionUnavailable(principal.homeRegion, region);
}
