/**
 * Reads what the rehearsal runs from the synthesized templates: per region the ECS services (task definition
 * environment, secrets by reference, port mapping, health check, desired count, scaling bounds, stop timeout),
 * the ALB listener and its rules and target groups, the Valkey replication groups with their parameter groups,
 * the Aurora global database's cluster of the region (AWS::RDS::GlobalCluster / DBCluster / its DBInstances),
 * and at the edge the distribution (behaviours, origins, custom headers, function associations), the functions'
 * code, the KeyValueStore and the WAF's body-size rules. Nothing here is configured by hand.
 */
import type { CfnValue } from './intrinsics.js';

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
}

export interface TaskSpec {
  serviceId: string;
  role: 'api' | 'admin';
  desiredCount: number;
  maxTasks: number;
  environment: Record<string, CfnValue>;
  /** Secrets by their `ValueFrom` reference (an ARN, possibly with `:jsonKey::`). */
  secrets: Record<string, CfnValue>;
  containerPort: number;
  healthCheck: { command: string[]; intervalS: number; retries: number; startPeriodS: number };
  stopTimeoutS: number;
  targetGroupId: string;
}

export interface TargetGroupSpec {
  id: string;
  port: number;
  healthPath: string;
  healthyThreshold: number;
  unhealthyThreshold: number;
  intervalS: number;
  deregistrationDelayS: number;
}

export interface RuleCondition {
  field: 'http-header' | 'path-pattern' | 'host-header';
  headerName?: string;
  values: CfnValue[];
}

export interface ListenerRuleSpec {
  priority: number;
  conditions: RuleCondition[];
  targetGroupId: string;
}

export interface FixedResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface RedisSpec {
  id: string;
  description: string;
  port: number;
  maxmemoryPolicy: string;
  parameterGroupFamily: string;
}

/** The region's cluster of an Aurora global database (the config store of a multi-region environment). */
export interface ConfigClusterSpec {
  /** Logical id of the AWS::RDS::DBCluster. */
  id: string;
  /** `primary`: an AWS::RDS::GlobalCluster of this stack is made from it; `secondary`: it joins one by name. */
  role: 'primary' | 'secondary';
  globalClusterIdentifier: string;
  /** EnableGlobalWriteForwarding (secondaries). */
  writeForwarding: boolean;
  port: number;
  engineVersion: string;
  /** Its AWS::RDS::DBInstance resources. */
  instances: number;
  /** Master user and password (primary only: a secondary has the primary's users by replication). */
  masterUsername: CfnValue | undefined;
  masterUserPassword: CfnValue | undefined;
}

export interface RegionModel {
  region: string;
  template: Template;
  tasks: TaskSpec[];
  targetGroups: Map<string, TargetGroupSpec>;
  rules: ListenerRuleSpec[];
  listenerDefault: FixedResponse;
  redis: RedisSpec[];
  /** Logical id of the region's own RDS instance (the regional store; DBInstances of a cluster excluded). */
  databaseId: string;
  configCluster: ConfigClusterSpec | undefined;
}

export interface BehaviourSpec {
  /** `*` for the default behaviour. */
  pathPattern: string;
  originId: string;
  /** Logical id of the viewer-request function. */
  functionId: string | undefined;
}

export interface OriginSpec {
  id: string;
  domainName: string;
  customHeaders: Record<string, CfnValue>;
}

export interface EdgeModel {
  template: Template;
  behaviours: BehaviourSpec[];
  origins: OriginSpec[];
  aliases: string[];
  functions: Map<string, { code: string; kvsIds: string[] }>;
  kvsIds: string[];
  /** WAF rules that block on the body-size label, with the URI prefixes they exempt. */
  wafBodyInspectionLimit: string | undefined;
}

const props = (t: Template, id: string): Record<string, any> => {
  const r = t.Resources[id];
  if (!r) throw new Error(`template has no resource ${id}`);
  return r.Properties ?? {};
};

const refId = (v: unknown): string => {
  if (v && typeof v === 'object' && 'Ref' in v) return (v as { Ref: string }).Ref;
  if (v && typeof v === 'object' && 'Fn::GetAtt' in v) return (v as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  throw new Error(`expected a Ref, got ${JSON.stringify(v)}`);
};

function ofType(t: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

export function readRegion(region: string, t: Template): RegionModel {
  const scaling = ofType(t, 'AWS::ApplicationAutoScaling::ScalableTarget');
  const tasks: TaskSpec[] = ofType(t, 'AWS::ECS::Service').map(([serviceId, s]) => {
    const def = props(t, refId(s.TaskDefinition));
    const c = def.ContainerDefinitions[0];
    const environment = Object.fromEntries((c.Environment as Array<{ Name: string; Value: CfnValue }>).map((e) => [e.Name, e.Value]));
    const secrets = Object.fromEntries(((c.Secrets ?? []) as Array<{ Name: string; ValueFrom: CfnValue }>).map((e) => [e.Name, e.ValueFrom]));
    const bounds = scaling.find(([, p]) => JSON.stringify(p.ResourceId).includes(`"${serviceId}"`));
    const lb = (s.LoadBalancers as Array<{ ContainerPort: number; TargetGroupArn: unknown }>)[0]!;
    return {
      serviceId,
      role: environment.SKYWAY_ROLE as 'api' | 'admin',
      desiredCount: Number(s.DesiredCount),
      maxTasks: bounds ? Number(bounds[1].MaxCapacity) : Number(s.DesiredCount),
      environment,
      secrets,
      containerPort: Number(c.PortMappings[0].ContainerPort),
      healthCheck: { command: c.HealthCheck.Command, intervalS: c.HealthCheck.Interval, retries: c.HealthCheck.Retries, startPeriodS: c.HealthCheck.StartPeriod },
      stopTimeoutS: Number(c.StopTimeout ?? 30),
      targetGroupId: refId(lb.TargetGroupArn),
    };
  });
  const targetGroups = new Map(
    ofType(t, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([id, p]) => {
      const attrs = Object.fromEntries(((p.TargetGroupAttributes ?? []) as Array<{ Key: string; Value: string }>).map((a) => [a.Key, a.Value]));
      return [
        id,
        {
          id,
          port: Number(p.Port),
          healthPath: String(p.HealthCheckPath),
          healthyThreshold: Number(p.HealthyThresholdCount),
          unhealthyThreshold: Number(p.UnhealthyThresholdCount),
          intervalS: Number(p.HealthCheckIntervalSeconds),
          deregistrationDelayS: Number(attrs['deregistration_delay.timeout_seconds'] ?? 300),
        },
      ] as const;
    }),
  );
  const rules = ofType(t, 'AWS::ElasticLoadBalancingV2::ListenerRule')
    .map(([, p]) => ({
      priority: Number(p.Priority),
      conditions: (p.Conditions as Array<Record<string, any>>).map((c): RuleCondition => {
        if (c.Field === 'http-header') return { field: 'http-header', headerName: String(c.HttpHeaderConfig.HttpHeaderName).toLowerCase(), values: c.HttpHeaderConfig.Values };
        if (c.Field === 'path-pattern') return { field: 'path-pattern', values: c.PathPatternConfig?.Values ?? c.Values };
        if (c.Field === 'host-header') return { field: 'host-header', values: c.HostHeaderConfig?.Values ?? c.Values };
        throw new Error(`listener rule condition ${c.Field} is not rehearsed`);
      }),
      targetGroupId: refId((p.Actions as Array<{ TargetGroupArn: unknown }>)[0]!.TargetGroupArn),
    }))
    .sort((a, b) => a.priority - b.priority);
  const [, listener] = ofType(t, 'AWS::ElasticLoadBalancingV2::Listener')[0]!;
  const fixed = listener.DefaultActions[0].FixedResponseConfig;
  const paramGroups = new Map(ofType(t, 'AWS::ElastiCache::ParameterGroup'));
  const redis = ofType(t, 'AWS::ElastiCache::ReplicationGroup').map(([id, p]): RedisSpec => {
    const pg = paramGroups.get(refId(p.CacheParameterGroupName));
    return {
      id,
      description: p.ReplicationGroupDescription,
      port: Number(p.Port),
      // ElastiCache's default when no parameter group sets it.
      maxmemoryPolicy: pg?.Properties?.['maxmemory-policy'] ?? 'volatile-lru',
      parameterGroupFamily: pg?.CacheParameterGroupFamily ?? '(default)',
    };
  });
  const standalone = ofType(t, 'AWS::RDS::DBInstance').filter(([, p]) => p.DBClusterIdentifier === undefined);
  if (standalone.length !== 1) throw new Error(`region ${region}: expected one RDS instance outside a cluster, found ${standalone.length}`);
  return {
    region,
    template: t,
    tasks,
    targetGroups,
    rules,
    listenerDefault: { status: Number(fixed.StatusCode), contentType: fixed.ContentType, body: fixed.MessageBody },
    redis,
    databaseId: standalone[0]![0],
    configCluster: readConfigCluster(region, t),
  };
}

/** The Aurora cluster of a global database in this stack, if any (at most one per region). */
export function readConfigCluster(region: string, t: Template): ConfigClusterSpec | undefined {
  const clusters = ofType(t, 'AWS::RDS::DBCluster');
  if (clusters.length === 0) return undefined;
  if (clusters.length > 1) throw new Error(`region ${region}: ${clusters.length} Aurora clusters; the rehearsal models one per region`);
  const [id, p] = clusters[0]!;
  const global = ofType(t, 'AWS::RDS::GlobalCluster').find(([, g]) => g.SourceDBClusterIdentifier !== undefined && refId(g.SourceDBClusterIdentifier) === id);
  const joined = typeof p.GlobalClusterIdentifier === 'string' ? (p.GlobalClusterIdentifier as string) : undefined;
  if (!global && !joined) throw new Error(`region ${region}: Aurora cluster ${id} is not part of a global database; the rehearsal models only the config store's global cluster`);
  const instances = ofType(t, 'AWS::RDS::DBInstance').filter(([, i]) => i.DBClusterIdentifier !== undefined && refId(i.DBClusterIdentifier) === id).length;
  return {
    id,
    role: global ? 'primary' : 'secondary',
    globalClusterIdentifier: global ? String(global[1].GlobalClusterIdentifier) : joined!,
    writeForwarding: p.EnableGlobalWriteForwarding === true,
    port: Number(p.Port ?? 5432),
    engineVersion: String(p.EngineVersion),
    instances,
    masterUsername: p.MasterUsername,
    masterUserPassword: p.MasterUserPassword,
  };
}

export function readEdge(t: Template): EdgeModel {
  const [, dist] = ofType(t, 'AWS::CloudFront::Distribution')[0]!;
  const cfg = dist.DistributionConfig;
  const fnOf = (b: Record<string, any>): string | undefined => {
    const a = ((b.FunctionAssociations ?? []) as Array<{ EventType: string; FunctionARN: unknown }>).find((x) => x.EventType === 'viewer-request');
    return a ? refId(a.FunctionARN) : undefined;
  };
  const behaviours: BehaviourSpec[] = [
    ...((cfg.CacheBehaviors ?? []) as Array<Record<string, any>>).map((b) => ({ pathPattern: b.PathPattern, originId: b.TargetOriginId, functionId: fnOf(b) })),
    { pathPattern: '*', originId: cfg.DefaultCacheBehavior.TargetOriginId, functionId: fnOf(cfg.DefaultCacheBehavior) },
  ];
  const origins: OriginSpec[] = (cfg.Origins as Array<Record<string, any>>).map((o) => ({
    id: o.Id,
    domainName: o.DomainName,
    customHeaders: Object.fromEntries(((o.OriginCustomHeaders ?? []) as Array<{ HeaderName: string; HeaderValue: CfnValue }>).map((h) => [h.HeaderName.toLowerCase(), h.HeaderValue])),
  }));
  const functions = new Map(
    ofType(t, 'AWS::CloudFront::Function').map(([id, p]) => [
      id,
      { code: String(p.FunctionCode), kvsIds: ((p.FunctionConfig.KeyValueStoreAssociations ?? []) as Array<{ KeyValueStoreARN: unknown }>).map((k) => refId(k.KeyValueStoreARN)) },
    ]),
  );
  const [, acl] = ofType(t, 'AWS::WAFv2::WebACL')[0] ?? [undefined, undefined];
  return {
    template: t,
    behaviours,
    origins,
    aliases: cfg.Aliases ?? [],
    functions,
    kvsIds: ofType(t, 'AWS::CloudFront::KeyValueStore').map(([id]) => id),
    wafBodyInspectionLimit: acl?.AssociationConfig?.RequestBody?.CLOUDFRONT?.DefaultSizeInspectionLimit,
  };
}
