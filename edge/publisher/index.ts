/**
 * The publisher the `admin` role uses: against the real KeyValueStore when SKYWAY_EDGE_KVS_ARN is set, else the
 * local KVS file that the local edge reads.
 *
 * @example
 * const edge = createEdgePublisher({ kvsArn: process.env.SKYWAY_EDGE_KVS_ARN, localFile: join(dataDir, 'edge-kvs.json') });
 * await edge.revoke(keyId, key.expiresAt);
 */
import { AwsKvsBackend } from './aws-backend.js';
import { FileKvsBackend } from './file-backend.js';
import { EdgePublisher, type PublisherOptions } from './publisher.js';

export { EdgePublisher, KvsFullError, type RegionHealth } from './publisher.js';
export { kvsKey, KVS_LIMITS } from './entries.js';

export interface EdgePublisherConfig extends PublisherOptions {
  /** ARN of the CloudFront KeyValueStore (production). */
  kvsArn?: string | undefined;
  /** The local KVS file (used when kvsArn is not set). */
  localFile: string;
}

export function createEdgePublisher(config: EdgePublisherConfig): EdgePublisher {
  const backend = config.kvsArn ? new AwsKvsBackend({ kvsArn: config.kvsArn }) : new FileKvsBackend(config.localFile);
  return new EdgePublisher(backend, config);
}
