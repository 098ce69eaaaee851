/**
 * The request's error boundary on its own, whatever validation lets through: a throw inside a promise
 * continuation (here the router, after an asynchronous admission) answers 500 internal_error to that request,
 * is counted, and releases the reservation; a client that leaves while admission is pending releases it too.
 * The transport is a fake ClientExchange (the interface the pipeline declares); the rest are the real
 * error boundary and in-flight counter with a scripted authenticator, catalogue and admission.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdmissionTicket, SettleUsage } from '../admission/index.js';
import type { Principal } from '../auth/principal.js';
import type { GatewayError } from '../errors/catalogue.js';
import { Inflight } from '../lifecycle/inflight.js';
import type { ClientExchange, HeaderList } from './client-exchange.js';
import type { Gateway } from './context.js';
import { ErrorBoundary } from './error-boundary.js';
import { ModelRequest } from './request.js';

class FakeExchange implements ClientExchange {
  readonly requestId = 'req-test';
  readonly startedAt = performance.now();
  finished = false;
  streaming = false;
  status = 0;
  lastWriteAt = 0;
  upstreamMs = 0;
  backoffMs = 0;
  body = '';
  headers: HeaderList = [];
  private abortHandlers: Array<() => void> = [];
  overheadMs(now: number): number {
    return now - this.startedAt;
  }
  onAbort(fn: () => void): void {
    this.abortHandlers.push(fn);
  }
  abort(): void {
    this.finished = true;
    this.status = 499;
    for (const h of this.abortHandlers) h();
  }
  sendJson(status: number, body: string | Buffer, headers: HeaderList = []): void {
    if (this.finished) return;
    this.finished = true;
    this.status = status;
    this.body = body.toString();
    this.headers = headers;
  }
  sendError(err: GatewayError): void {
    this.sendJson(err.status, err.toJSON());
  }
  startStream(): void {
    this.streaming = true;
  }
  write(): boolean {
    return true;
  }
  whenWritable(): void {}
  endStream(): void {
    this.finished = true;
  }
}

const PRINCIPAL: Principal = { kind: 'virtual', keyId: 'k1', key: { id: 'k1', limits: { maxParallel: 1 } } } as Principal;
const BODY = Buffer.from(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));

function gateway(opts: { plan: () => never; admit: Promise<AdmissionTicket> }) {
  const logged: object[] = [];
  const boundary = new ErrorBoundary({ error: (o) => void logged.push(o) });
  const inflight = new Inflight();
  const gw = {
    settings: { defaultMaxTokens: 16, region: 'test', accessLog: false },
    auth: { authenticate: () => Promise.resolve(PRINCIPAL) },
    catalog: {
      get: (m: string) => (m === 'm' ? { deployments: [] } : undefined),
      reachable: () => ['m'],
      deadlineMs: undefined,
      router: { plan: opts.plan },
    },
    admission: { admit: () => opts.admit },
    estimatePrice: () => undefined,
    prices: { costOf: () => 0 },
    usage: undefined,
    cache: undefined,
    logger: { info: () => undefined, error: () => undefined },
    inflight,
    heartbeats: { add: () => undefined, delete: () => undefined },
    boundary,
  } as unknown as Gateway;
  return { gw, boundary, inflight, logged };
}

function ticket(): AdmissionTicket & { settled: SettleUsage[] } {
  const settled: SettleUsage[] = [];
  return { headers: {}, settled, settle: (u) => void settled.push(u) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('request error boundary', () => {
  it('a throw inside a promise continuation answers 500 internal_error, is counted, and settles the ticket', async () => {
    const t = ticket();
    const { gw, boundary, inflight, logged } = gateway({
      admit: Promise.resolve(t),
      plan: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    const ex = new FakeExchange();
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      new ModelRequest(gw, ex, 'chat', undefined, undefined).run('sk-test', BODY);
      for (let i = 0; i < 5; i++) await tick();
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    assert.deepEqual(rejections, [], 'nothing escaped to unhandledRejection');
    assert.equal(ex.status, 500);
    const body = JSON.parse(ex.body) as { error: { code: string; type: string } };
    assert.equal(body.error.code, 'internal_error');
    assert.equal(boundary.internalErrors, 1);
    assert.match(String((logged[0] as { err?: Error }).err?.stack), /RangeError/);
    assert.equal((logged[0] as { requestId?: string }).requestId, 'req-test');
    assert.equal(t.settled.length, 1, 'the reservation was released');
    assert.equal(inflight.count, 0);
  });

  it('a client that leaves while admission is pending releases the reservation when it arrives', async () => {
    const t = ticket();
    let release!: (t: AdmissionTicket) => void;
    const { gw, inflight } = gateway({
      admit: new Promise((r) => (release = r)),
      plan: () => {
        throw new Error('must not route: the client is gone');
      },
    });
    const ex = new FakeExchange();
    new ModelRequest(gw, ex, 'chat', undefined, undefined).run('sk-test', BODY);
    await tick();
    ex.abort();
    assert.equal(inflight.count, 0);
    release(t);
    await tick();
    assert.deepEqual(t.settled, [{ promptTokens: 0, completionTokens: 0, costUsd: 0 }]);
  });
});
