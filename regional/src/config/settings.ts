/**
 * Process settings from the environment, with the YAML `server:` section as a fallback and built-in defaults
 * last. Environment wins so that one config file serves every environment. Names and defaults come from the
 * contract (shared/contract/env.ts) that infra's task definitions are built from.
 */
import { resolve } from 'node:path';
import { ENV, type EnvName, PORTS } from '../../../shared/contract/index.js';
import type { RawConfig } from './schema.js';

export type Role = 'api' | 'admin';

export interface Settings {
  /** Roles this process plays: `api`, `admin`, or both (`SKYWAY_ROLE=all`, the local stack). */
  roles: ReadonlySet<Role>;
  host: string;
  port: number;
  adminPort: number;
  /** Prometheus /metrics listener (0 = any free port). */
  metricsPort: number;
  dataDir: string;
  maxBodyBytes: number;
  /** Largest multipart upload streamed through (media endpoints). */
  mediaMaxUploadBytes: number;
  /** Bytes of an upload held until its `model` part arrives. */
  mediaLookaheadBytes: number;
  /** Time a client has to send its whole body, from the end of its headers (slowloris bound; 408 after). */
  bodyTimeoutMs: number;
  upstreamTimeoutMs: number;
  heartbeatMs: number;
  drainTimeoutMs: number;
  logLevel: string;
  /** One log line per request (pino, buffered). */
  accessLog: boolean;
  /** When set, requests must carry this value in `x-skyway-origin-verify` (set by the edge). */
  originVerifySecret: string | undefined;
  /** Completion tokens reserved by admission when a request sets no max_tokens. */
  defaultMaxTokens: number;
  /** Region name recorded in usage events (SKYWAY_REGION, else AWS_REGION). */
  region: string;
}

export class SettingsError extends Error {}

function int(env: NodeJS.ProcessEnv, name: EnvName, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new SettingsError(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** The contract's default of a numeric variable. */
const dflt = (name: EnvName): number => Number((ENV[name] as { default?: string }).default);

function bool(env: NodeJS.ProcessEnv, name: EnvName, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new SettingsError(`${name} must be true or false, got '${raw}'`);
}

export function readSettings(env: NodeJS.ProcessEnv, server: RawConfig['server'] = {}): Settings {
  const role = env.SKYWAY_ROLE || ENV.SKYWAY_ROLE.default;
  if (role !== 'api' && role !== 'admin' && role !== 'all') throw new SettingsError(`SKYWAY_ROLE must be 'api', 'admin' or 'all', got '${role}'`);
  const roles = new Set<Role>(role === 'all' ? ['api', 'admin'] : [role]);
  const port = int(env, 'PORT', PORTS.api);
  if (port > 65535) throw new SettingsError(`PORT must be at most 65535, got ${port}`);
  return {
    roles,
    host: env.HOST || ENV.HOST.default,
    port,
    adminPort: int(env, 'ADMIN_PORT', PORTS.admin),
    metricsPort: env.SKYWAY_METRICS_PORT === '0' ? 0 : int(env, 'SKYWAY_METRICS_PORT', PORTS.metrics),
    dataDir: resolve(env.SKYWAY_DATA_DIR || ENV.SKYWAY_DATA_DIR.default),
    maxBodyBytes: int(env, 'SKYWAY_MAX_BODY_BYTES', server.max_body_bytes ?? dflt('SKYWAY_MAX_BODY_BYTES')),
    mediaMaxUploadBytes: int(env, 'SKYWAY_MEDIA_MAX_UPLOAD_BYTES', dflt('SKYWAY_MEDIA_MAX_UPLOAD_BYTES')),
    mediaLookaheadBytes: int(env, 'SKYWAY_MEDIA_LOOKAHEAD_BYTES', dflt('SKYWAY_MEDIA_LOOKAHEAD_BYTES')),
    bodyTimeoutMs: int(env, 'SKYWAY_BODY_TIMEOUT_MS', dflt('SKYWAY_BODY_TIMEOUT_MS')),
    upstreamTimeoutMs: int(env, 'SKYWAY_UPSTREAM_TIMEOUT_MS', server.upstream_timeout_ms ?? dflt('SKYWAY_UPSTREAM_TIMEOUT_MS')),
    heartbeatMs: int(env, 'SKYWAY_HEARTBEAT_MS', server.heartbeat_interval_ms ?? dflt('SKYWAY_HEARTBEAT_MS')),
    drainTimeoutMs: int(env, 'SKYWAY_DRAIN_TIMEOUT_MS', server.drain_timeout_ms ?? dflt('SKYWAY_DRAIN_TIMEOUT_MS')),
    logLevel: env.LOG_LEVEL || ENV.LOG_LEVEL.default,
    accessLog: bool(env, 'SKYWAY_ACCESS_LOG', ENV.SKYWAY_ACCESS_LOG.default === 'true'),
    originVerifySecret: env.SKYWAY_ORIGIN_VERIFY_SECRET || undefined,
    defaultMaxTokens: int(env, 'SKYWAY_DEFAULT_MAX_TOKENS', dflt('SKYWAY_DEFAULT_MAX_TOKENS')),
    region: env.SKYWAY_REGION || env.AWS_REGION || 'local',
  };
}
