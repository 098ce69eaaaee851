import { join } from 'node:path';
import { type App, Tags, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type EnvironmentConfig, parseEnvironment } from './config/environment.js';
import { EdgeStack } from './stacks/edge-stack.js';
import { RegionalStack } from './stacks/regional-stack.js';

export interface SkywayAppOptions {
  /** Repository root: the Docker build context of the gateway image. */
  readonly repoRoot: string;
  /**
   * Built viewer-request function.
   * @default `<repoRoot>/dist/edge/viewer-request.js`
   */
  readonly functionFile?: string;
  /**
   * Run cdk-nag's AwsSolutions checks on synth.
   * @default true
   */
  readonly nag?: boolean;
}

export interface SkywayStacks {
  readonly config: EnvironmentConfig;
  readonly edge: EdgeStack;
  readonly regions: readonly RegionalStack[];
}

/** Reads `-c env=<name>` (default dev) and the environments from the app's context. */
export function environmentFromContext(app: App): EnvironmentConfig {
  const name = (app.node.tryGetContext('env') as string | undefined) ?? 'dev';
  return parseEnvironment(app.node.tryGetContext('skyway:environments'), name);
}

/** Adds the edge stack and one regional stack per configured region of `config` to `app`. */
export function buildSkyway(app: App, config: EnvironmentConfig, options: SkywayAppOptions): SkywayStacks {
  const prefix = `Skyway-${config.name}`;
  const edge = new EdgeStack(app, `${prefix}-Edge`, {
    config,
    functionFile: options.functionFile ?? join(options.repoRoot, 'dist', 'edge', 'viewer-request.js'),
    description: `Skyway ${config.name}: CloudFront, WAF, KeyValueStore, edge function and edge alarms`,
  });
  const regions = config.regions.map((region) => {
    // One asset per region: each regional stack pushes the image to its own region's registry.
    const image = ecs.ContainerImage.fromAsset(options.repoRoot, { file: 'Dockerfile', platform: Platform.LINUX_AMD64 });
    const stack = new RegionalStack(app, `${prefix}-${region.region}`, {
      config,
      region,
      image,
      keyValueStoreArn: edge.keyValueStoreArn,
      description: `Skyway ${config.name}: regional gateway in ${region.region}`,
    });
    stack.addStackDependency(edge, 'regional stacks read the secrets the edge stack replicates to them');
    return stack;
  });
  // A secondary cluster joins the global cluster the first region creates, and reads its replicated credentials.
  const [primary, ...secondaries] = regions;
  if (config.configStore && primary) {
    for (const s of secondaries) s.addStackDependency(primary, 'the config store: secondary clusters join the global database of the first region');
  }
  Tags.of(app).add('project', 'skyway');
  Tags.of(app).add('environment', config.name);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { config, edge, regions };
}
