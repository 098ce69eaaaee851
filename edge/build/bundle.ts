/**
 * Builds the deployable viewer-request function: edge/function/viewer-request.js with whole-line comments and
 * indentation stripped and build options filled in, written as one file (CloudFront inlines it as is; 10 KB
 * limit, not adjustable).
 *
 * CLI: node dist/edge/build/bundle.js [--out FILE] [--max-body-bytes N]
 *      (default out: <this dist tree>/edge/viewer-request.js, i.e. dist/edge/viewer-request.js)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isContractHeader, SKYWAY_HEADER_PREFIX } from '../../shared/contract/headers.js';
import { inlineEdgeErrors } from '../../shared/errors/codes.js';

export const FUNCTION_SIZE_LIMIT = 10 * 1024;

export interface BundleOptions {
  /** @default edge/function/viewer-request.js in the repository */
  source?: string;
  /** @default <dist>/edge/viewer-request.js */
  outFile?: string;
  /** Largest declared content-length let through. @default 4194304 (the regional default) */
  maxBodyBytes?: number;
  /** Largest declared content-length of a multipart upload (audio, image edits). @default 26214400 (SKYWAY_MEDIA_MAX_UPLOAD_BYTES) */
  maxUploadBytes?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** <dist>/edge/build → <dist> */
const distDir = dirname(dirname(here));

function repoRoot(): string {
  for (let dir = here; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'skyway') return dir;
    if (dirname(dir) === dir) throw new Error('skyway repository root not found above ' + here);
  }
}

export const defaultSource = (): string => join(repoRoot(), 'edge/function/viewer-request.js');
export const defaultOutFile = (): string => join(distDir, 'edge/viewer-request.js');

/** Strip whole-line comments, indentation and blank lines (the source keeps comments on lines of their own). */
export function minify(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n') + '\n';
}

/** `x-skyway-*` header names the source uses that shared/contract/headers.ts does not declare. */
export function undeclaredHeaders(source: string): string[] {
  const names = [...source.matchAll(/['"`](x-skyway-[a-z0-9-]*)['"`]/g)].map((m) => m[1]!).filter((n) => n !== SKYWAY_HEADER_PREFIX);
  return [...new Set(names.filter((n) => !isContractHeader(n)))];
}

/** Build the artifact text; throws when it would exceed CloudFront's limit or use a header outside the contract. */
export function bundleText(source: string, opts: Pick<BundleOptions, 'maxBodyBytes' | 'maxUploadBytes'> = {}): string {
  const undeclared = undeclaredHeaders(source);
  if (undeclared.length) throw new Error(`viewer-request function uses headers not declared in shared/contract/headers.ts: ${undeclared.join(', ')}`);
  // Error codes come from shared/errors/codes.ts (the gateway's source too); unknown codes fail the build.
  let text = minify(source.includes('const ERR = ') ? inlineEdgeErrors(source) : source);
  if (opts.maxBodyBytes !== undefined) {
    if (!Number.isInteger(opts.maxBodyBytes) || opts.maxBodyBytes <= 0) throw new RangeError('maxBodyBytes must be a positive integer');
    const replaced = text.replace(/^const MAX_BODY = \d+;$/m, `const MAX_BODY = ${opts.maxBodyBytes};`);
    if (replaced === text && !text.includes(`const MAX_BODY = ${opts.maxBodyBytes};`)) throw new Error('MAX_BODY constant not found in the function source');
    text = replaced;
  }
  if (opts.maxUploadBytes !== undefined) {
    if (!Number.isInteger(opts.maxUploadBytes) || opts.maxUploadBytes <= 0) throw new RangeError('maxUploadBytes must be a positive integer');
    const replaced = text.replace(/^const MAX_UPLOAD = \d+;$/m, `const MAX_UPLOAD = ${opts.maxUploadBytes};`);
    if (replaced === text && !text.includes(`const MAX_UPLOAD = ${opts.maxUploadBytes};`)) throw new Error('MAX_UPLOAD constant not found in the function source');
    text = replaced;
  }
  const size = Buffer.byteLength(text);
  if (size >= FUNCTION_SIZE_LIMIT) throw new Error(`viewer-request function is ${size} bytes; CloudFront's limit is ${FUNCTION_SIZE_LIMIT}`);
  return text;
}

/** Write the artifact; returns its path and size. */
export function bundle(opts: BundleOptions = {}): { outFile: string; bytes: number } {
  const text = bundleText(readFileSync(opts.source ?? defaultSource(), 'utf8'), opts);
  const outFile = opts.outFile ?? defaultOutFile();
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  return { outFile, bytes: Buffer.byteLength(text) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const max = opt('--max-body-bytes');
  const maxUpload = opt('--max-upload-bytes');
  const out = opt('--out');
  const result = bundle({ ...(out ? { outFile: out } : {}), ...(max ? { maxBodyBytes: Number(max) } : {}), ...(maxUpload ? { maxUploadBytes: Number(maxUpload) } : {}) });
  console.log(`edge: wrote ${result.outFile} (${result.bytes} bytes of ${FUNCTION_SIZE_LIMIT})`);
}
