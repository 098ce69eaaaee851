import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** Characters left out of generated database passwords so they can sit in a URL without escaping. */
export const URL_UNSAFE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\=,^';

export interface DatabaseUrlSecretProps {
  readonly description: string;
  /** The password as a dynamic reference (`{{resolve:secretsmanager:…}}`), resolved by CloudFormation at deploy. */
  readonly password: string;
  readonly host: string;
  readonly port: string;
  /**
   * User and database name.
   * @default 'skyway'
   */
  readonly user?: string;
}

/**
 * A secret whose whole value is the `postgres://` URL a gateway variable (DATABASE_URL, CONFIG_DATABASE_URL, …)
 * reads. CloudFormation resolves the dynamic reference inside the joined string at deploy; the template holds
 * no password.
 */
export function databaseUrlSecret(scope: Construct, id: string, props: DatabaseUrlSecretProps): secretsmanager.Secret {
  const user = props.user ?? 'skyway';
  return new secretsmanager.Secret(scope, id, {
    description: props.description,
    secretStringValue: SecretValue.unsafePlainText(`postgres://${user}:${props.password}@${props.host}:${props.port}/${user}?sslmode=no-verify`),
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
