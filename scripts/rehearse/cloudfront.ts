/**
 * The CloudFront stand-in: one listener for every alias (the host comes from the Host header), the WAF stand-in
 * first, then the behaviour whose path pattern matches (in the distribution's order, the default last), its
 * viewer-request function from the template run in edge/local's vm runner against the KVS stand-in, and the
 * request sent to the origin the behaviour (or `cf.selectRequestOriginById`) names, with that origin's custom
 * headers and the origin's own host name (origin request policy AllViewerExceptHostHeader).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { eventFromRequest, formatQuery, originHeaders, responseParts } from '../../edge/local/cf-event.js';
import { ViewerRequestFunction, type CfRequest } from '../../edge/local/function-runner.js';
import { LocalKvsFile } from '../../edge/local/kvs-file.js';
import type { BehaviourSpec, EdgeModel } from './template-model.js';
import type { WafStandIn } from './waf.js';
import { relay } from './relay.js';

/** CloudFront path patterns: `*` any characters, `?` one; case-sensitive. */
export function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(path);
}

export interface CloudFrontOptions {
  edge: EdgeModel;
  waf: WafStandIn;
  /** Origin custom header values, resolved (dynamic references) by origin id. */
  originHeaders: Map<string, Record<string, string>>;
  /** Where each origin domain name is reached locally (its region's ALB stand-in). */
  originUrls: Map<string, string>;
  /** KVS stand-in file per KeyValueStore logical id. */
  kvsFiles: Map<string, string>;
  /** Viewer address presented to WAF and the function. */
  viewerIp: string;
}

export class CloudFrontStandIn {
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 512 });
  private readonly functions = new Map<string, { fn: ViewerRequestFunction; kvs: LocalKvsFile | undefined }>();
  port = 0;
  /** Answers by where they came from: waf, function, origin. */
  readonly counts = { waf: 0, function: 0, origin: 0 };

  constructor(private readonly opts: CloudFrontOptions) {
    for (const [id, f] of opts.edge.functions) {
      const kvsFile = f.kvsIds[0] ? opts.kvsFiles.get(f.kvsIds[0]) : undefined;
      this.functions.set(id, { fn: new ViewerRequestFunction(f.code, id), kvs: kvsFile ? new LocalKvsFile(kvsFile) : undefined });
    }
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Base URL for a host: requests carry `host` so the stand-in sees the alias. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  behaviourFor(path: string): BehaviourSpec {
    return this.opts.edge.behaviours.find((b) => pathMatches(b.pathPattern, path))!;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = String(req.headers.host ?? '').split(':')[0]!.toLowerCase();
    const path = (req.url ?? '/').split('?')[0]!;
    const blocked = this.opts.waf.blockedBy({ host, uri: path, ip: this.opts.viewerIp });
    if (blocked) {
      this.counts.waf++;
      req.resume();
      res.writeHead(403, { 'content-type': 'text/html', 'x-rehearsal-waf-rule': blocked });
      return void res.end('<html><body>403 Forbidden (WAF)</body></html>');
    }
    const behaviour = this.behaviourFor(path);
    const event = eventFromRequest(req, host);
    event.viewer.ip = this.opts.viewerIp;
    let request: CfRequest = event.request;
    let originId = behaviour.originId;
    const f = behaviour.functionId ? this.functions.get(behaviour.functionId) : undefined;
    if (f) {
      const outcome = await f.fn.run(event, f.kvs ? await f.kvs.snapshot() : {});
      if (outcome.response) {
        this.counts.function++;
        const { status, headers, body } = responseParts(outcome.response);
        headers['content-length'] = String(body.length);
        req.resume();
        res.writeHead(status, headers);
        return void res.end(body);
      }
      request = outcome.request!;
      if (outcome.originId) originId = outcome.originId;
    }
    const origin = this.opts.edge.origins.find((o) => o.id === originId);
    if (!origin) throw new Error(`origin ${originId} is not in the distribution`);
    this.counts.origin++;
    const headers = { ...originHeaders(request, this.opts.viewerIp), ...this.opts.originHeaders.get(origin.id), host: origin.domainName };
    const query = formatQuery(request.querystring ?? {});
    const abort = new AbortController();
    res.once('close', () => !res.writableFinished && abort.abort());
    await relay(req, res, {
      url: this.opts.originUrls.get(origin.domainName)! + request.uri + (query ? `?${query}` : ''),
      method: request.method,
      headers,
      dispatcher: this.agent,
      signal: abort.signal,
      badGatewayHtml: '<html><body>502 ERROR: CloudFront could not connect to the origin</body></html>',
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.agent.close();
  }
}
