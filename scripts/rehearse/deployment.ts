/**
 * A whole environment on this machine, from its synthesized templates: per region the stores (Postgres
 * database, one redis-server per replication group, buckets), the ALB stand-in, the api and admin services; for
 * a multi-region environment the config store's global database (a Postgres primary and a hot standby); at
 * the edge the KVS stand-in, the WAF stand-in and the CloudFront stand-in; KMS and Secrets Manager stand-ins.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startS3rver, type S3Handle } from '../../test-support/s3.js';
import { AlbStandIn, type ResolvedRule } from './alb.js';
import { startAwsEndpoints, type AwsEndpoints, type WrappedKeys } from './aws-endpoints.js';
import { clusterKey, startConfigStore, type ConfigStoreRuntime } from './config-store.js';
import { CloudFrontStandIn } from './cloudfront.js';
import { readImage, type ImageSpec } from './image.js';
import { resolveValue } from './intrinsics.js';
import { bucketName, stackContext, type StackFacts } from './region-context.js';
import { SecretsStandIn } from './secrets.js';
import { ServiceStandIn } from './service.js';
import { createRegionDatabase, startRegionRedis, type RegionDatabase, type RegionRedis } from './stores.js';
import { synthesize, type Synthesized } from './synthesize.js';
import { readEdge, readRegion, type EdgeModel, type RegionModel } from './template-model.js';
import type { PartitionProxy } from './partition-proxy.js';
import { WafStandIn } from './waf.js';

export interface RegionRuntime {
  region: string;
  model: RegionModel;
  db: RegionDatabase;
  /** The region's cluster of the config store (multi-region): its role and the proxy in front of its server. */
  configCluster: { role: 'primary' | 'secondary'; proxy: PartitionProxy } | undefined;
  redis: Map<string, RegionRedis>;
  alb: AlbStandIn;
  api: ServiceStandIn;
  admin: ServiceStandIn;
  aws: AwsEndpoints;
}

export interface Deployment {
  env: string;
  synth: Synthesized;
  edge: EdgeModel;
  secrets: SecretsStandIn;
  regions: RegionRuntime[];
  /** The config store's global database (multi-region environments). */
  configStore: ConfigStoreRuntime | undefined;
  cloudfront: CloudFrontStandIn;
  waf: WafStandIn;
  kvsFile: string;
  hosts: { api: string; admin: string };
  s3: S3Handle;
  close(): Promise<void>;
}

const EDGE_REGION = 'us-east-1';

export interface DeployOptions {
  /** The image to run (default: the Dockerfile's runtime stage as readImage() reads it). */
  image?: ImageSpec;
  /** Fields merged into the environment's cdk.json entry before synth (e.g. `{ regionChoice: 'health' }`). */
  environmentPatch?: Record<string, unknown>;
}

export async function deploy(env: string, log: (line: string) => void, opts: DeployOptions = {}): Promise<Deployment> {
  const synth = synthesize(env, opts.environmentPatch);
  log(`synth ${env}: ${synth.regions.length} region(s) in ${synth.ms} ms`);
  const { config } = synth;
  const dir = mkdtempSync(join(tmpdir(), `skyway-rehearsal-${env}-`));
  const edge = readEdge(synth.edge);
  const secrets = new SecretsStandIn();
  const image = opts.image ?? readImage();
  const edgeFacts: StackFacts = { env, region: EDGE_REGION, account: config.account, template: synth.edge, secrets, edge: synth.edge };
  const edgeCtx = stackContext(edgeFacts);
  secrets.addStack(EDGE_REGION, synth.edge, edgeCtx);
  const peers = synth.regions.map((r) => ({ region: r.region, template: r.template }));
  const facts = synth.regions.map((r) => ({ env, region: r.region, account: config.account, template: r.template, secrets, edge: synth.edge, peers }) as StackFacts);
  // One KMS: data keys wrapped in one region are known to every region's endpoint, which decrypts them as KMS would.
  const wrappedKeys: WrappedKeys = new Map();
  facts.forEach((f) => secrets.addStack(f.region, f.template, stackContext(f)));
  const kvsFiles = new Map(edge.kvsIds.map((id) => [id, join(dir, `kvs-${id}.json`)]));
  const kvsFile = kvsFiles.get(edge.kvsIds[0]!)!;
  // s3rver's own start-up check gives up after 10 s; on a loaded machine try once more.
  const s3 = await startS3rver(`skyway-${env}-rehearsal`).catch(() => startS3rver(`skyway-${env}-rehearsal`));
  const cleanup: Array<() => Promise<void>> = [async () => s3.close(), async () => rmSync(dir, { recursive: true, force: true })];
  const regions: RegionRuntime[] = [];
  let configStore: ConfigStoreRuntime | undefined;
  try {
    const models = facts.map((f) => readRegion(f.region, f.template));
    const clusters = models.flatMap((m) => (m.configCluster ? [{ region: m.region, spec: m.configCluster }] : []));
    if (clusters.length > 0) {
      // The primary cluster's master user and generated password (a secondary has the same users by replication).
      const primary = clusters.find((c) => c.spec.role === 'primary');
      if (!primary) throw new Error('the templates have a secondary Aurora cluster but no primary (AWS::RDS::GlobalCluster)');
      const pctx = stackContext(facts.find((f) => f.region === primary.region)!);
      configStore = await startConfigStore(clusters, { username: resolveValue(primary.spec.masterUsername!, pctx), password: resolveValue(primary.spec.masterUserPassword!, pctx) });
      const store = configStore;
      cleanup.push(() => store.close());
      log(`config store: global cluster ${primary.spec.globalClusterIdentifier} (Aurora PostgreSQL ${primary.spec.engineVersion}): primary in ${store.primaryRegion}, hot standby in ${store.secondaryRegion} (streaming replication${clusters.some((c) => c.spec.writeForwarding) ? ', write forwarding → primary' : ''})`);
    }
    for (const [i, f] of facts.entries()) {
      const model = models[i]!;
      const ctx = stackContext(f);
      // Postgres: the template's master user and generated password, a private database (mapping rows 3–4).
      const dbId = model.databaseId;
      const creds = secretOfInstance(f, dbId);
      const db = await createRegionDatabase(`${env}_${f.region}`, creds.username, creds.password);
      cleanup.push(() => db.close());
      f.databasePort = db.port;
      const redis = new Map<string, RegionRedis>();
      for (const spec of model.redis) {
        const auth = resolveValue(f.template.Resources[spec.id]!.Properties!.AuthToken, ctx);
        const r = await startRegionRedis(spec, auth);
        cleanup.push(() => r.close());
        redis.set(spec.id, r);
      }
      for (const [id, r] of Object.entries(f.template.Resources)) {
        if (r.Type === 'AWS::S3::Bucket') await s3.client.send(new CreateBucketCommand({ Bucket: bucketName(env, f.region, id) }));
      }
      const aws = await startAwsEndpoints(secrets, f.region, wrappedKeys);
      cleanup.push(() => aws.close());
      const rules: ResolvedRule[] = model.rules.map((r) => ({ ...r, conditions: r.conditions.map((c) => ({ ...c, values: c.values.map((v) => resolveValue(v, ctx)) })) }));
      const alb = new AlbStandIn(f.region, rules, model.listenerDefault, model.targetGroups.values());
      await alb.start();
      cleanup.push(() => alb.close());
      const local = {
        redisPorts: new Map([...redis].map(([id, r]) => [id, r.port])),
        databases: new Map([[dbId, { port: db.port, name: db.name }]]),
        ...(model.configCluster && configStore ? { clusters: new Map([[model.configCluster.id, configStore.endpoints.get(clusterKey(f.region, model.configCluster.id))!]]) } : {}),
        kvsFile,
        s3: { endpoint: s3.endpoint, accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey },
        awsEndpoint: aws.url,
        region: f.region,
        albUrl: `http://127.0.0.1:${alb.port}`,
      };
      const spec = (role: 'api' | 'admin') => model.tasks.find((t) => t.role === role)!;
      const api = new ServiceStandIn(f.region, spec('api'), image, ctx, local, alb);
      const admin = new ServiceStandIn(f.region, spec('admin'), image, ctx, local, alb);
      cleanup.push(() => admin.close(), () => api.close());
      // The api role migrates the schema; the admin role needs it (ECS would restart admin until it exists).
      await api.deploy();
      await admin.deploy();
      const policies = await Promise.all([...redis.values()].map(async (r) => `${r.spec.id} ${await r.config('maxmemory-policy')}`));
      log(`region ${f.region}: ${api.tasks.length} api + ${admin.tasks.length} admin task(s) healthy; redis-server maxmemory-policy: ${policies.join(', ')}`);
      const configCluster = model.configCluster && configStore
        ? { role: model.configCluster.role, proxy: model.configCluster.role === 'primary' ? configStore.primaryProxy : configStore.standbyProxy }
        : undefined;
      regions.push({ region: f.region, model, db, configCluster, redis, alb, api, admin, aws });
    }
    const waf = new WafStandIn(synth.edge);
    log(`waf: rules not rehearsed (AWS-managed, rate-based, label): ${waf.skipped.join(', ') || 'none'}; body inspection ${edge.wafBodyInspectionLimit ?? 'default'}`);
    const originHeaders = new Map(edge.origins.map((o) => [o.id, Object.fromEntries(Object.entries(o.customHeaders).map(([k, v]) => [k, resolveValue(v, edgeCtx)]))]));
    const originUrls = new Map(edge.origins.map((o, i) => [o.domainName, `http://127.0.0.1:${regionForOrigin(o.domainName, regions, i).alb.port}`]));
    const viewerIp = (waf.allowlist().find((c) => !c.includes(':')) ?? '127.0.0.1/32').split('/')[0]!;
    const cloudfront = new CloudFrontStandIn({ edge, waf, originHeaders, originUrls, kvsFiles, viewerIp });
    await cloudfront.start();
    cleanup.push(() => cloudfront.close());
    const [apiHost, adminHost] = [config.domain.apiHost, config.domain.adminHost].map((h) => `${h}.${config.domain.zoneName}`) as [string, string];
    return {
      env,
      synth,
      edge,
      secrets,
      regions,
      configStore,
      cloudfront,
      waf,
      kvsFile,
      hosts: { api: apiHost, admin: adminHost },
      s3,
      close: async () => {
        for (const c of cleanup.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/** The region whose origin host name this is (`origin-<region>.<zone>`). */
function regionForOrigin(domain: string, regions: RegionRuntime[], index: number): RegionRuntime {
  return regions.find((r) => domain.startsWith(`origin-${r.region}.`)) ?? regions[index]!;
}

/** Master user name and password of an RDS instance, from the secret its credentials come from. */
function secretOfInstance(f: StackFacts, dbId: string): { username: string; password: string } {
  const props = f.template.Resources[dbId]!.Properties!;
  const ctx = stackContext(f);
  const username = resolveValue(props.MasterUsername, ctx);
  const password = resolveValue(props.MasterUserPassword, ctx);
  return { username, password };
}
