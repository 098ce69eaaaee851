/**
 * The stand-in of the config store's Aurora global database: the primary cluster (the region whose stack holds
 * the AWS::RDS::GlobalCluster) is a private real Postgres primary, the secondary cluster a hot standby fed by
 * real streaming replication (test-support/pg-replica.ts), each behind a partition proxy so a scenario can cut a
 * region's database off the network. The standby's apply delay is adjustable (replication lag). Write
 * forwarding (a secondary's readers forwarding writes to the primary, Aurora's EnableGlobalWriteForwarding) is
 * modelled by sending SKYWAY_LEDGER_DATABASE_URL of a secondary region to the primary's proxy (mapping.ts).
 */
import pg from 'pg';
import { startPgReplica, type PgReplica } from '../../test-support/pg-replica.js';
import { startPartitionProxy, type PartitionProxy } from './partition-proxy.js';
import type { ConfigClusterSpec } from './template-model.js';

/** The database the clusters hold (the primary cluster's DatabaseName). */
const DATABASE = 'skyway';

export interface ConfigClusterEndpoints {
  /** Loopback port of the cluster's endpoints (writer and reader of the primary; reader of a secondary). */
  port: number;
  /** Port that write-forwarded connections reach (the primary's proxy), for a secondary with write forwarding. */
  forwardingPort: number | undefined;
  database: string;
}

export interface ConfigStoreRuntime {
  replica: PgReplica;
  /** Region of the primary cluster and of the secondary. */
  primaryRegion: string;
  secondaryRegion: string;
  /** In front of the primary server: the primary region's endpoints and every secondary's forwarded writes. */
  primaryProxy: PartitionProxy;
  /** In front of the hot standby: the secondary region's reader endpoint. */
  standbyProxy: PartitionProxy;
  /** Endpoints per cluster logical id and region (`<region>/<logical id>`). */
  endpoints: Map<string, ConfigClusterEndpoints>;
  /** Direct URLs (not through the proxies) for the harness's own checks. */
  primaryUrl: string;
  standbyUrl: string;
  close(): Promise<void>;
}

export const clusterKey = (region: string, logicalId: string): string => `${region}/${logicalId}`;

/**
 * Start the global database of `clusters` (region → its cluster spec): exactly one primary and one secondary
 * (staging and prod have two regions; pg-replica models one standby). `master` is the primary cluster's master
 * user and password as the Secrets Manager stand-in resolves them.
 */
export async function startConfigStore(clusters: Array<{ region: string; spec: ConfigClusterSpec }>, master: { username: string; password: string }): Promise<ConfigStoreRuntime> {
  const primaries = clusters.filter((c) => c.spec.role === 'primary');
  const secondaries = clusters.filter((c) => c.spec.role === 'secondary');
  if (primaries.length !== 1 || secondaries.length !== 1) {
    throw new Error(`the config store stand-in models one primary and one secondary cluster; the templates have ${primaries.length} and ${secondaries.length}`);
  }
  const primary = primaries[0]!;
  const secondary = secondaries[0]!;
  if (secondary.spec.globalClusterIdentifier !== primary.spec.globalClusterIdentifier) {
    throw new Error(`secondary cluster in ${secondary.region} joins ${secondary.spec.globalClusterIdentifier}, the primary creates ${primary.spec.globalClusterIdentifier}`);
  }
  const replica = await startPgReplica({ database: DATABASE });
  const proxies: PartitionProxy[] = [];
  try {
    // The master user of the primary cluster owns the database (as Aurora's master user does); the standby
    // receives the role and the grants by replication.
    const c = new pg.Client({ connectionString: replica.primaryUrl });
    await c.connect();
    try {
      const user = master.username.replace(/[^a-z0-9_]/gi, '');
      await c.query(`do $$ begin if not exists (select from pg_roles where rolname = '${user}') then create role ${user} login; end if; end $$`);
      await c.query(`alter role ${user} with login password '${master.password.replace(/'/g, "''")}'`);
      await c.query(`alter database ${DATABASE} owner to ${user}`);
      await c.query(`alter schema public owner to ${user}`);
    } finally {
      await c.end();
    }
    await replica.waitForReplay();
    const primaryProxy = await startPartitionProxy('127.0.0.1', replica.primaryPort);
    proxies.push(primaryProxy);
    const standbyProxy = await startPartitionProxy('127.0.0.1', replica.standbyPort);
    proxies.push(standbyProxy);
    const endpoints = new Map<string, ConfigClusterEndpoints>([
      [clusterKey(primary.region, primary.spec.id), { port: primaryProxy.port, forwardingPort: undefined, database: DATABASE }],
      [clusterKey(secondary.region, secondary.spec.id), { port: standbyProxy.port, forwardingPort: secondary.spec.writeForwarding ? primaryProxy.port : undefined, database: DATABASE }],
    ]);
    return {
      replica,
      primaryRegion: primary.region,
      secondaryRegion: secondary.region,
      primaryProxy,
      standbyProxy,
      endpoints,
      primaryUrl: replica.primaryUrl,
      standbyUrl: replica.standbyUrl,
      close: async () => {
        for (const p of proxies) await p.close().catch(() => undefined);
        await replica.close();
      },
    };
  } catch (err) {
    for (const p of proxies) await p.close().catch(() => undefined);
    await replica.close();
    throw err;
  }
}
