/**
 * Serves the built console (`npm run build` → dist/console/) at /console/ on the admin listener. Files are read
 * once and kept in memory (a few hundred KB). Hashed asset names are cached for a year; index.html never is.
 * Unknown paths under /console/ get index.html (the console routes by `#/page`, but a reload of any path works).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Self only: the console loads nothing from elsewhere and talks only to this listener. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  body: Buffer;
  type: string;
  immutable: boolean;
}

/** dist/console beside dist/regional (this file is dist/regional/src/admin/console/static.js). */
export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('../../../../console/', import.meta.url));
}

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const rel = relative(dir, file).split(sep).join('/');
        assets.set(rel, { body: readFileSync(file), type: TYPES[extname(name)] ?? 'application/octet-stream', immutable: rel.startsWith('assets/') });
      }
    }
  };
  walk(dir);
  return assets;
}

export type ConsoleHandler = (pathname: string, res: ServerResponse) => void;

/** A handler for `/console` and everything under it. Without a build, it answers 404 with how to build one. */
export function consoleStatic(dir = defaultConsoleDir()): ConsoleHandler {
  let assets: Map<string, Asset> | undefined;
  return (pathname, res) => {
    if (pathname === '/console') {
      res.writeHead(308, { location: '/console/' }).end();
      return;
    }
    try {
      assets ??= load(dir);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('The console is not built: run `npm run build`.\n');
      return;
    }
    const rel = pathname.slice('/console/'.length);
    const asset = assets.get(rel) ?? (rel.startsWith('assets/') ? undefined : assets.get('index.html'));
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(asset.body);
  };
}
