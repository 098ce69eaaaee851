/**
 * Loads uWebSockets.js and proves the native binary is in use. The package silently falls back to a slow
 * pure-JS implementation when its binary does not match the running Node (it ships binaries for Node 16/18/20
 * only): a gateway on that fallback would look healthy and be many times slower, so it must not start.
 */
import { createRequire } from 'node:module';

export type UWS = typeof import('uWebSockets.js');

export class NativeUwsUnavailable extends Error {}

let loaded: UWS | undefined;

export function loadNativeUws(): UWS {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const binary = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    // Loading the binary directly fails loudly instead of falling back.
    loaded = require(binary) as UWS;
  } catch (err) {
    throw new NativeUwsUnavailable(
      `the native uWebSockets.js binary did not load on Node ${process.version} (${process.platform}/${process.arch}, ` +
        `ABI ${process.versions.modules}): ${(err as Error).message.split('\n')[0]}. ` +
        'Skyway refuses to run on the slow JavaScript fallback. Use Node 20 (see .nvmrc).',
    );
  }
  if (typeof loaded.App !== 'function' || !String(loaded.App).includes('[native code]')) {
    loaded = undefined;
    throw new NativeUwsUnavailable('uWebSockets.js loaded, but not as a native addon; refusing to start');
  }
  return loaded;
}
