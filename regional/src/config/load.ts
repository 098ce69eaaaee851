/**
 * Reads, validates and resolves the YAML configuration into the model table the router uses.
 * Every problem is reported at once, each with its path in the file, and the gateway refuses to start.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Deployment } from '../providers/adapter.js';
import { OPENAI_COMPATIBLE_BASES, isOpenAICompatible } from './providers.js';
import { configSchema, type RawConfig, type RawDeployment } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n  - ${problems.join('\n  - ')}`);
  }
}

export interface ModelEntry {
  readonly name: string;
  readonly deployments: readonly Deployment[];
  /** Upstream quotas, aligned with `deployments`. */
  readonly quotas: ReadonlyArray<{ readonly rpm?: number; readonly tpm?: number }>;
  readonly strategy: 'weighted' | 'least-busy' | 'lowest-latency';
  readonly fallbacks?: readonly string[];
  readonly contextWindow?: number;
  readonly contextWindowFallbacks?: readonly string[];
  readonly contentPolicyFallbacks?: readonly string[];
  /** Response cache lifetime for this model; absent = no caching. */
  readonly cacheTtlSeconds?: number;
}

export interface ModelTable {
  readonly models: ReadonlyMap<string, ModelEntry>;
  readonly server: RawConfig['server'];
  readonly router: RawConfig['router'];
  readonly pricing: RawConfig['pricing'];
}

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** Entries of the secrets file (SKYWAY_SECRETS_FILE), by name. */
  secrets: Readonly<Record<string, string>>;
  /** Providers with a native adapter registered (besides the OpenAI-compatible family). */
  nativeProviders: ReadonlySet<string>;
  /** The provider adapter's check of a deployment's options (throws with a message). */
  validateDeployment?: (d: Deployment) => void;
  defaultTimeoutMs: number;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** Parse YAML text and validate its shape. */
export function parseConfig(text: string, source: string): RawConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map((e) => e.message.replace(/\n+/g, ' ')));
  const data: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(data);
  if (!result.success) throw new ConfigError(source, result.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`));
  return result.data;
}

function resolveKey(d: RawDeployment, at: string, opts: ResolveOptions, problems: string[]): string | undefined {
  if (d.api_key_env && d.api_key_secret) {
    problems.push(`${at}: set either api_key_env or api_key_secret, not both`);
    return undefined;
  }
  if (d.api_key_env) {
    const v = opts.env[d.api_key_env];
    if (!v) problems.push(`${at}.api_key_env: environment variable ${d.api_key_env} is not set`);
    return v || undefined;
  }
  if (d.api_key_secret) {
    const v = opts.secrets[d.api_key_secret];
    if (!v) problems.push(`${at}.api_key_secret: no entry '${d.api_key_secret}' in the secrets file (SKYWAY_SECRETS_FILE)`);
    return v || undefined;
  }
  return undefined;
}

/** Resolve a validated config: secrets read, defaults applied, providers checked. */
export function resolveConfig(raw: RawConfig, source: string, opts: ResolveOptions): ModelTable {
  const problems: string[] = [];
  const models = new Map<string, ModelEntry>();
  const ids = new Set<string>();
  raw.models.forEach((m, mi) => {
    if (models.has(m.name)) problems.push(`models[${mi}].name: model '${m.name}' is defined twice`);
    const deployments: Deployment[] = [];
    const quotas: Array<{ rpm?: number; tpm?: number }> = [];
    m.deployments.forEach((d, di) => {
      const at = `models[${mi}].deployments[${di}]`;
      const compatible = isOpenAICompatible(d.provider);
      if (!compatible && !opts.nativeProviders.has(d.provider)) {
        const known = [...Object.keys(OPENAI_COMPATIBLE_BASES), ...opts.nativeProviders].sort().join(', ');
        problems.push(`${at}.provider: unknown provider '${d.provider}' (known: ${known})`);
        return;
      }
      const apiBase = d.api_base ?? (compatible ? OPENAI_COMPATIBLE_BASES[d.provider] : undefined);
      if (compatible && !apiBase) problems.push(`${at}.api_base: provider '${d.provider}' needs an api_base`);
      const id = d.id ?? `${m.name}/${di}`;
      if (ids.has(id)) problems.push(`${at}.id: deployment id '${id}' is used twice`);
      ids.add(id);
      const deployment: Deployment = {
        id,
        provider: d.provider,
        upstreamModel: d.model,
        apiBase: (apiBase ?? '').replace(/\/+$/, ''),
        apiKey: resolveKey(d, at, opts, problems),
        weight: d.weight,
        timeoutMs: d.timeout_ms ?? opts.defaultTimeoutMs,
        headers: d.headers,
        options: d.options,
      };
      try {
        opts.validateDeployment?.(deployment);
      } catch (err) {
        problems.push(`${at}: ${(err as Error).message}`);
      }
      deployments.push(deployment);
      quotas.push({ ...(d.rpm ? { rpm: d.rpm } : {}), ...(d.tpm ? { tpm: d.tpm } : {}) });
    });
    models.set(m.name, {
      name: m.name,
      deployments,
      quotas,
      strategy: m.strategy,
      ...(m.fallbacks ? { fallbacks: m.fallbacks } : {}),
      ...(m.context_window ? { contextWindow: m.context_window } : {}),
      ...(m.context_window_fallbacks ? { contextWindowFallbacks: m.context_window_fallbacks } : {}),
      ...(m.content_policy_fallbacks ? { contentPolicyFallbacks: m.content_policy_fallbacks } : {}),
      ...(m.cache ? { cacheTtlSeconds: m.cache.ttl_seconds } : {}),
    });
  });
  raw.models.forEach((m, mi) => {
    for (const [field, list] of [['fallbacks', m.fallbacks], ['context_window_fallbacks', m.context_window_fallbacks], ['content_policy_fallbacks', m.content_policy_fallbacks]] as const) {
      list?.forEach((f, fi) => {
        if (!models.has(f)) problems.push(`models[${mi}].${field}[${fi}]: no model named '${f}'`);
      });
    }
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { models, server: raw.server, router: raw.router, pricing: raw.pricing };
}

/** Load the secrets file: YAML or JSON mapping names to strings. */
export function loadSecrets(path: string | undefined): Record<string, string> {
  if (!path) return {};
  const raw = parseConfigLike(readFileSync(path, 'utf8'), path);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new ConfigError(path, [`${k}: secret values must be strings`]);
    out[k] = v;
  }
  return out;
}

function parseConfigLike(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map((e) => e.message));
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(source, ['(root): expected a mapping of name: value']);
  return data as Record<string, unknown>;
}

/** Read SKYWAY_CONFIG (or the given path); no path means no models until one is configured. */
export function loadConfigFile(path: string | undefined): { raw: RawConfig; source: string } {
  if (!path) return { raw: configSchema.parse({}), source: '(no SKYWAY_CONFIG)' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return { raw: parseConfig(text, path), source: path };
}

/** The YAML models plus deployments managed at run time (admin API), the latter appended per model name. */
export function mergeManaged(base: ModelTable, managed: ReadonlyArray<{ modelName: string; deployment: Deployment }>): ModelTable {
  if (managed.length === 0) return base;
  const models = new Map<string, ModelEntry>(base.models);
  for (const { modelName, deployment } of managed) {
    const entry = models.get(modelName);
    models.set(modelName, {
      ...(entry ?? { strategy: 'weighted' as const }),
      name: modelName,
      deployments: [...(entry?.deployments ?? []), deployment],
      quotas: [...(entry?.quotas ?? []), {}],
    });
  }
  return { ...base, models };
}
