import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { configStoreNames, type EnvironmentConfig, globalSecretNames, hostNames, originHostName, originId, type RegionConfig } from '../config/environment.js';
import type { ConsoleUserPoolProps } from '../constructs/console-user-pool.js';
import { SkywayRegion, type SkywayRegionProps } from '../constructs/skyway-region.js';

export interface RegionalStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly region: RegionConfig;
  /** The gateway image. */
  readonly image: ecs.ContainerImage;
  /** ARN of the edge KeyValueStore. */
  readonly keyValueStoreArn: string;
  /**
   * The first region's multi-Region credentials key, which this region replicates (with a global config store).
   * @default - this region creates its own key (multi-Region when the environment has a config store)
   */
  readonly credentialsPrimaryKeyArn?: string;
}

/** One region of one environment. */
export class RegionalStack extends Stack {
  readonly skyway: SkywayRegion;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.region.region }, crossRegionReferences: true });
    const { config, region } = props;
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.domain.hostedZoneId,
      zoneName: config.domain.zoneName,
    });
    this.skyway = new SkywayRegion(this, 'Skyway', {
      name: config.name,
      image: props.image,
      cidr: region.cidr,
      cloudFrontPrefixListId: region.cloudFrontPrefixListId,
      hostedZone,
      originDomainName: originHostName(config, region.region),
      secretNames: globalSecretNames(config),
      keyValueStoreArn: props.keyValueStoreArn,
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      database: config.database,
      ...(config.configStore ? { configStore: configStoreProps(config, region) } : {}),
      rateLimitRegions: config.regions.length,
      credentialsKey: props.credentialsPrimaryKeyArn ? { kind: 'replica', primaryKeyArn: props.credentialsPrimaryKeyArn } : { kind: config.configStore ? 'multi-region-primary' : 'single' },
      cache: config.cache,
      responseCache: config.responseCache,
      api: config.api,
      admin: config.admin,
      drainTime: Duration.seconds(config.drainSeconds),
      logRetention: config.logRetentionDays,
      archive: config.archive,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      retainData: config.retainData,
      logLevel: config.logLevel,
      ...(config.console && isConsoleRegion(config, region) ? { console: consoleProps(config) } : {}),
      ...(config.regionChoice === 'health' ? { edgeRouting: { originId: originId(region.region), weight: region.weight, near: region.near } } : {}),
    });
  }
}

/**
 * The region whose admin service the admin host reaches: the distribution sends `/admin*` and `/console*` to the
 * first region's origin (skyway-distribution.ts), so the console's user pool lives there.
 */
export function isConsoleRegion(config: EnvironmentConfig, region: RegionConfig): boolean {
  return config.regions[0]?.region === region.region;
}

/** The config store's cluster of `region`: the primary in the first region (as the admin host), secondaries elsewhere. */
function configStoreProps(config: EnvironmentConfig, region: RegionConfig): NonNullable<SkywayRegionProps['configStore']> {
  const c = config.configStore!;
  const primary = isConsoleRegion(config, region);
  return {
    ...configStoreNames(config),
    role: primary ? { kind: 'primary', secondaryRegions: config.regions.slice(1).map((r) => r.region) } : { kind: 'secondary' },
    instanceType: c.instanceType,
    instances: c.instances,
    backupRetention: Duration.days(c.backupRetentionDays),
    deletionProtection: c.deletionProtection,
  };
}

function consoleProps(config: EnvironmentConfig): ConsoleUserPoolProps {
  const c = config.console!;
  return {
    consoleOrigin: `https://${hostNames(config).admin}`,
    domainPrefix: c.domainPrefix,
    allowedEmailDomains: c.allowedEmailDomains,
    ...(c.sesFromAddress ? { sesFromEmail: c.sesFromAddress, ...(c.sesRegion ? { sesRegion: c.sesRegion } : {}) } : {}),
    retain: config.retainData,
  };
}
