/**
 * Runs a CloudFront viewer-request function file in a Node `vm`, with a `cloudfront` module shim backed by a KVS
 * snapshot. The file is the deployable artifact, unchanged except for one rewrite: its
 * `import cf from 'cloudfront'` line becomes a variable bound to the shim (a vm Script cannot import, and vm
 * modules need a Node flag). Language compatibility with CloudFront is checked separately under `njs`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import type { KvsData } from './kvs-file.js';

export interface CfValue {
  value: string;
  multiValue?: CfValue[];
}
export type CfMap = Record<string, CfValue>;

export interface CfRequest {
  method: string;
  uri: string;
  querystring: CfMap;
  headers: CfMap;
  cookies: CfMap;
}

export interface CfResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: CfMap;
  cookies?: CfMap;
  body?: string | { data: string; encoding?: 'text' | 'base64' };
}

export interface CfEvent {
  version: '1.0';
  context: { distributionDomainName: string; distributionId: string; eventType: 'viewer-request'; requestId: string };
  viewer: { ip: string };
  request: CfRequest;
}

export interface FunctionOutcome {
  /** Set when the function answered the viewer itself. */
  response?: CfResponse;
  /** Set when the request goes on to the origin (possibly modified). */
  request?: CfRequest;
  /** The origin id passed to cf.selectRequestOriginById, if any. */
  originId?: string;
}

interface Invocation {
  kvs: KvsData;
  originId?: string;
}

const IMPORT_RE = /^\s*import\s+([A-Za-z_$][\w$]*)\s+from\s+['"]cloudfront['"];?[ \t]*$/m;

/** Only what CloudFront Functions' crypto module offers. */
const cryptoShim = Object.freeze({ createHash, createHmac });

export class ViewerRequestFunction {
  private readonly handler: (event: CfEvent) => unknown;
  private readonly als = new AsyncLocalStorage<Invocation>();

  constructor(source: string, filename = 'viewer-request.js') {
    const als = this.als;
    const current = (): Invocation => {
      const inv = als.getStore();
      if (!inv) throw new Error('cloudfront shim used outside an invocation');
      return inv;
    };
    const kvsHandle = Object.freeze({
      async get(key: string, options?: { format?: 'string' | 'json' }): Promise<unknown> {
        const value = current().kvs[key];
        if (value === undefined) throw new Error(`Key not found: ${key}`);
        return options?.format === 'json' ? JSON.parse(value) : value;
      },
      async exists(key: string): Promise<boolean> {
        return current().kvs[key] !== undefined;
      },
    });
    const cloudfront = Object.freeze({
      kvs: () => kvsHandle,
      selectRequestOriginById(id: string) {
        current().originId = String(id);
      },
      updateRequestOrigin() {
        throw new Error('updateRequestOrigin is not emulated by the local edge');
      },
    });
    const code = source.replace(IMPORT_RE, (_m, name: string) => `var ${name} = __skywayCloudfront;`);
    const context = vm.createContext({
      __skywayCloudfront: cloudfront,
      console,
      require: (name: string) => {
        if (name === 'crypto') return cryptoShim;
        throw new Error(`module '${name}' is not available in CloudFront Functions`);
      },
    });
    const handler: unknown = vm.runInContext(`${code}\n;typeof handler === 'function' ? handler : undefined`, context, {
      filename,
      timeout: 1000,
    });
    if (typeof handler !== 'function') throw new Error(`${filename} does not define a function named handler`);
    this.handler = handler as (event: CfEvent) => unknown;
  }

  static fromFile(path: string): ViewerRequestFunction {
    return new ViewerRequestFunction(readFileSync(path, 'utf8'), path);
  }

  /** Invoke the handler for one event against one KVS snapshot. */
  async run(event: CfEvent, kvs: KvsData): Promise<FunctionOutcome> {
    const inv: Invocation = { kvs };
    const result = (await this.als.run(inv, () => this.handler(event))) as CfResponse | CfRequest | undefined;
    if (!result || typeof result !== 'object') throw new Error('the function returned neither a request nor a response');
    const outcome: FunctionOutcome = 'statusCode' in result ? { response: result } : { request: result };
    if (inv.originId !== undefined) outcome.originId = inv.originId;
    return outcome;
  }
}
