/**
 * The shape of one deployment environment (dev, staging, prod) as it is written in `cdk.json` context under
 * `skyway:environments`. Every difference between environments is data here, never a branch on the name.
 */
import { z } from 'zod';

const regionSchema = z.object({
  /** AWS region code, e.g. `eu-west-1`. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
  /** CIDR of the region's VPC; regions must not overlap if they are ever peered. */
  cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
  /**
   * Id of the AWS-managed prefix list `com.amazonaws.global.cloudfront.origin-facing` in this region
   * (`aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`).
   */
  cloudFrontPrefixListId: z.string().regex(/^pl-[0-9a-f]+$/),
  /** Relative weight at the edge among healthy regions near a viewer. */
  weight: z.number().positive().default(1),
  /** Viewer countries (ISO 3166-1 alpha-2, as CloudFront reports them) sent to this region first. */
  near: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
});

const environmentSchema = z.object({
  account: z.string().regex(/^\d{12}$/),
  /** Regions that run the regional gateway; the first one is CloudFront's default origin. */
  regions: z.array(regionSchema).min(1),
  /**
   * How the edge chooses the region of a key without a home region. `first-region`: the distribution's default
   * origin (the only correct choice while each region has its own key store: a key exists in one region only).
   * `health`: each region's admin role publishes its health row and the function chooses among healthy regions
   * by viewer country and weight; needs one key store for every region (issue 14, item 3).
   */
  regionChoice: z.enum(['first-region', 'health']).default('first-region'),
  domain: z.object({
    /** Route 53 public hosted zone that holds every Skyway name of this environment. */
    zoneName: z.string().min(3),
    hostedZoneId: z.string().regex(/^Z[0-9A-Z]+$/),
    /** Label of the public API host (`<apiHost>.<zoneName>`). */
    apiHost: z.string().default('api'),
    /** Label of the admin host (`<adminHost>.<zoneName>`), reachable only from `adminAllowlist`. */
    adminHost: z.string().default('admin'),
  }),
  /**
   * Console sign-in through Cognito (a user pool with its hosted UI, created in the first region, whose admin
   * service the admin host reaches). Absent: no user pool, the console signs in with the master key only.
   */
  console: z
    .object({
      /** Prefix of the hosted UI domain `<prefix>.auth.<region>.amazoncognito.com`: unique in the region across all accounts. */
      domainPrefix: z
        .string()
        .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens (1-63), not starting or ending with a hyphen')
        .refine((p) => !/aws|amazon|cognito/.test(p), 'must not contain aws, amazon or cognito (Cognito refuses such prefixes)'),
      /** Email domains whose owners may sign themselves up (pre-sign-up Lambda); empty: administrators create users. */
      allowedEmailDomains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'an email domain such as example.com')).default([]),
      /** SES-verified sender of the pool's mail; absent: Cognito's own mailer (about 50 mails a day). */
      sesFromAddress: z.email().optional(),
      /** Region of the SES identity; default the first region. */
      sesRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
    })
    .strict()
    .optional(),
  /** CIDRs allowed to reach the admin host through the WAF. */
  adminAllowlist: z.array(z.string().regex(/^[0-9a-f:.]+\/\d+$/)).default([]),
  /** E-mail subscribed to the alarm topics; none means subscribe something yourself. */
  alarmEmail: z.email().optional(),
  network: z.object({
    maxAzs: z.number().int().min(2).max(4),
    natGateways: z.number().int().min(1),
  }),
  database: z.object({
    instanceType: z.string(),
    multiAz: z.boolean(),
    allocatedStorageGiB: z.number().int().min(20),
    maxAllocatedStorageGiB: z.number().int().min(20),
    backupRetentionDays: z.number().int().min(7),
    deletionProtection: z.boolean(),
    /** `max_connections` of the parameter group; the connections alarm fires at 90 % of it. */
    maxConnections: z.number().int().min(20).default(200),
  }),
  /**
   * The config store of a multi-region environment (keys, teams, users, deployments, audit log, config changes,
   * the global spend ledger): an Aurora PostgreSQL Global Database, primary cluster in the first region, a
   * secondary cluster in every other region. Required with more than one region; absent in a single-region
   * environment, whose RDS instance (`database`) holds everything.
   */
  configStore: z
    .object({
      /** Instance class of every instance, e.g. `r6g.large`: global databases need memory-optimized classes. */
      instanceType: z.string().regex(/^(r\d+[a-z]*|x2g)\.[a-z0-9]+$/, 'a memory-optimized class such as r6g.large (Aurora global databases do not run on burstable t classes)'),
      /** Instances per regional cluster: writer plus readers in the primary region, readers in each secondary. */
      instances: z.number().int().min(1).max(16).default(1),
      backupRetentionDays: z.number().int().min(7).default(7),
      /** Protects the global cluster and every regional cluster from deletion. */
      deletionProtection: z.boolean(),
    })
    .strict()
    .optional(),
  cache: z.object({
    nodeType: z.string(),
    /** Read replicas; more than zero turns on Multi-AZ with automatic failover. */
    replicas: z.number().int().min(0).max(5),
  }),
  /** The response cache: its own replication group (it evicts; limit and budget state must not). */
  responseCache: z
    .object({
      nodeType: z.string(),
      replicas: z.number().int().min(0).max(5),
    })
    .default({ nodeType: 'cache.t4g.small', replicas: 0 }),
  api: z.object({
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
    minTasks: z.number().int().min(1).default(2),
    maxTasks: z.number().int().min(1).default(10),
    /** Target of the ALBRequestCountPerTarget scaling policy. */
    requestsPerTarget: z.number().int().min(1),
  }),
  admin: z.object({
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
    tasks: z.number().int().min(1),
  }),
  /** How long a stopping task may keep serving in-flight streams (SKYWAY_DRAIN_TIMEOUT_MS). */
  drainSeconds: z.number().int().min(5).max(110).default(90),
  logRetentionDays: z.number().int(),
  archive: z.object({
    infrequentAccessAfterDays: z.number().int().min(30),
    glacierAfterDays: z.number().int(),
    expireAfterDays: z.number().int(),
  }),
  waf: z.object({
    /** Requests per IP per window before the rate rule blocks. */
    ipRateLimit: z.number().int().min(10),
    /** Requests per `authorization` header value per window. */
    authorizationRateLimit: z.number().int().min(10),
    windowSeconds: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]),
  }),
  /** Log level of the gateway containers. */
  logLevel: z.string().default('info'),
  /** Removal of stateful resources on stack deletion: RETAIN in prod, DESTROY for throwaway environments. */
  retainData: z.boolean(),
  /** CloudFront price class. */
  priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
});

export type RegionConfig = z.infer<typeof regionSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema> & { readonly name: string };

export class EnvironmentConfigError extends Error {}

/**
 * Reads environment `name` from the `skyway:environments` context value.
 * @throws EnvironmentConfigError naming every invalid field at once.
 */
export function parseEnvironment(environments: unknown, name: string): EnvironmentConfig {
  if (typeof environments !== 'object' || environments === null) {
    throw new EnvironmentConfigError('cdk.json context "skyway:environments" is missing');
  }
  const raw = (environments as Record<string, unknown>)[name];
  if (raw === undefined) {
    const known = Object.keys(environments).join(', ');
    throw new EnvironmentConfigError(`unknown environment '${name}' (known: ${known}); pass -c env=<name>`);
  }
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new EnvironmentConfigError(`environment '${name}' in cdk.json is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const config = parsed.data;
  const seen = new Set<string>();
  for (const r of config.regions) {
    if (seen.has(r.region)) throw new EnvironmentConfigError(`environment '${name}': region ${r.region} is listed twice`);
    seen.add(r.region);
  }
  if (config.regions.length > 1 && !config.configStore) {
    throw new EnvironmentConfigError(`environment '${name}': ${config.regions.length} regions need a configStore (the Aurora global database every region reads keys from)`);
  }
  if (config.regions.length === 1 && config.configStore) {
    throw new EnvironmentConfigError(`environment '${name}': configStore is for multi-region environments; a single region keeps everything in its database`);
  }
  if (config.api.minTasks > config.api.maxTasks) {
    throw new EnvironmentConfigError(`environment '${name}': api.minTasks exceeds api.maxTasks`);
  }
  return { ...config, name };
}

/** Public host names of an environment. */
export function hostNames(config: EnvironmentConfig): { api: string; admin: string } {
  return {
    api: `${config.domain.apiHost}.${config.domain.zoneName}`,
    admin: `${config.domain.adminHost}.${config.domain.zoneName}`,
  };
}

/** The name CloudFront uses to reach a region's ALB (an alias record in the same zone, with its own certificate). */
export function originHostName(config: EnvironmentConfig, region: string): string {
  return `origin-${region}.${config.domain.zoneName}`;
}

/** Origin id of a region in the distribution; the edge function selects it with `cf.selectRequestOriginById`. */
export function originId(region: string): string {
  return `skyway-${region}`;
}

/** Name of the config store's global cluster and of its credentials secret (replicated to every secondary region). */
export function configStoreNames(config: EnvironmentConfig): { globalClusterIdentifier: string; credentialsSecretName: string } {
  return { globalClusterIdentifier: `skyway-${config.name}-config`, credentialsSecretName: `skyway/${config.name}/config-store/credentials` };
}

/** Names of the secrets the edge stack creates in us-east-1 and replicates to every region. */
export function globalSecretNames(config: EnvironmentConfig): { originVerify: string; masterKey: string; keySigning: string } {
  return { originVerify: `skyway/${config.name}/origin-verify`, masterKey: `skyway/${config.name}/master-key`, keySigning: `skyway/${config.name}/key-signing` };
}
