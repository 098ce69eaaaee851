/**
 * The ALB stand-in of one region: the HTTPS listener's rules from the template, evaluated in priority order
 * (http-header, path-pattern and host-header conditions with ALB wildcards), forwarding to the target group's
 * healthy targets round robin, else the listener's default fixed response. Targets are registered by the ECS
 * stand-in; a target is healthy after `healthyThreshold` consecutive 200s on the group's health-check path and
 * unhealthy after `unhealthyThreshold` failures; a deregistered target is draining: it gets no new requests while
 * those in flight finish.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { HOP_BY_HOP } from '../../edge/local/cf-event.js';
import { HEALTH_INTERVAL_MS } from './mapping.js';
import { relay } from './relay.js';
import type { FixedResponse, ListenerRuleSpec, TargetGroupSpec } from './template-model.js';

export interface Target {
  id: string;
  port: number;
  healthy: boolean;
  draining: boolean;
  okStreak: number;
  failStreak: number;
}

export interface ResolvedRule extends Omit<ListenerRuleSpec, 'conditions'> {
  conditions: Array<{ field: string; headerName?: string; values: string[] }>;
}

/** ALB wildcard match: `*` any run of characters, `?` one character; case-insensitive for hosts and headers. */
export function albMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', caseInsensitive ? 'i' : '');
  return re.test(value);
}

export class AlbStandIn {
  readonly groups = new Map<string, { spec: TargetGroupSpec; targets: Target[]; next: number }>();
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 512 });
  private timer: NodeJS.Timeout | undefined;
  port = 0;
  /** Targets that have passed a health check once (fail-open applies only to targets that were in service). */
  private readonly everHealthy = new Set<string>();
  /** Requests forwarded, by target id. */
  readonly served = new Map<string, number>();

  constructor(
    readonly region: string,
    private readonly rules: ResolvedRule[],
    private readonly fallback: FixedResponse,
    groups: Iterable<TargetGroupSpec>,
  ) {
    for (const spec of groups) this.groups.set(spec.id, { spec, targets: [], next: 0 });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 120_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    this.timer = setInterval(() => void this.checkHealth(), HEALTH_INTERVAL_MS);
  }

  register(groupId: string, id: string, port: number): Target {
    const t: Target = { id, port, healthy: false, draining: false, okStreak: 0, failStreak: 0 };
    this.group(groupId).targets.push(t);
    return t;
  }

  /** Stop routing new requests to the target (in-flight requests continue). */
  deregister(groupId: string, id: string): void {
    const g = this.group(groupId);
    const t = g.targets.find((x) => x.id === id);
    if (t) t.draining = true;
  }

  remove(groupId: string, id: string): void {
    const g = this.group(groupId);
    g.targets = g.targets.filter((x) => x.id !== id);
  }

  /** Resolves when the target has passed the group's healthy threshold. */
  async healthy(groupId: string, id: string, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const t = this.group(groupId).targets.find((x) => x.id === id);
      if (t?.healthy) return;
      if (Date.now() > until) throw new Error(`target ${id} did not become healthy in ${groupId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private group(id: string) {
    const g = this.groups.get(id);
    if (!g) throw new Error(`no target group ${id}`);
    return g;
  }

  private async checkHealth(): Promise<void> {
    for (const { spec, targets } of this.groups.values()) {
      for (const t of targets) {
        if (t.draining) continue;
        const ok = await fetch(`http://127.0.0.1:${t.port}${spec.healthPath}`, { signal: AbortSignal.timeout(2000) }).then(
          async (r) => (await r.body?.cancel(), r.status === 200),
          () => false,
        );
        if (ok) {
          t.failStreak = 0;
          if (++t.okStreak >= spec.healthyThreshold) {
            t.healthy = true;
            this.everHealthy.add(t.id);
          }
        } else {
          t.okStreak = 0;
          if (++t.failStreak >= spec.unhealthyThreshold) t.healthy = false;
        }
      }
    }
  }

  private route(req: IncomingMessage): string | undefined {
    const path = (req.url ?? '/').split('?')[0]!;
    for (const rule of this.rules) {
      const ok = rule.conditions.every((c) => {
        if (c.field === 'http-header') {
          const v = req.headers[c.headerName!];
          const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
          return values.some((x) => c.values.some((p) => albMatch(p, x, true)));
        }
        if (c.field === 'path-pattern') return c.values.some((p) => albMatch(p, path, false));
        if (c.field === 'host-header') return c.values.some((p) => albMatch(p, String(req.headers.host ?? '').split(':')[0]!, true));
        return false;
      });
      if (ok) return rule.targetGroupId;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const groupId = this.route(req);
    if (!groupId) {
      req.resume();
      res.writeHead(this.fallback.status, { 'content-type': this.fallback.contentType });
      return void res.end(this.fallback.body);
    }
    const g = this.group(groupId);
    // An ALB whose targets are all unhealthy fails open: it routes to every registered (non-draining) target.
    const registered = g.targets.filter((t) => !t.draining);
    const healthy = registered.filter((t) => t.healthy);
    const live = healthy.length > 0 ? healthy : registered.filter((t) => t.okStreak + t.failStreak > 0 && this.everHealthy.has(t.id));
    if (live.length === 0) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/html' });
      return void res.end('<html><body>503 Service Temporarily Unavailable</body></html>');
    }
    const target = live[g.next++ % live.length]!;
    this.served.set(target.id, (this.served.get(target.id) ?? 0) + 1);
    const abort = new AbortController();
    res.once('close', () => !res.writableFinished && abort.abort());
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    await relay(req, res, {
      url: `http://127.0.0.1:${target.port}${req.url ?? '/'}`,
      method: req.method ?? 'GET',
      headers,
      dispatcher: this.agent,
      signal: abort.signal,
      badGatewayHtml: '<html><body>502 Bad Gateway</body></html>',
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.agent.close();
  }
}
