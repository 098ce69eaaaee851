import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface GlobalSecretsProps {
  /** Name of the origin-verification secret (CloudFront header `x-skyway-origin-verify`, checked by ALB and gateway). */
  readonly originVerifyName: string;
  /** Name of the gateway master key secret (SKYWAY_MASTER_KEY). */
  readonly masterKeyName: string;
  /**
   * Name of the key-signing secret (SKYWAY_KEY_SIGNING_SECRETS of both roles in every region): the MAC secret of
   * virtual keys, generated once so that keys minted by any admin task verify on every api task and at the edge.
   */
  readonly keySigningName: string;
  /** Regions to replicate the secrets to, so regional stacks read them locally by name. */
  readonly replicaRegions: readonly string[];
  /**
   * Keep the secrets when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * Secrets that every region must share: created once next to CloudFront (us-east-1) and replicated.
 * Replicas keep the name, so a regional stack imports them with `Secret.fromSecretNameV2` without a cross-region reference.
 */
export class GlobalSecrets extends Construct {
  readonly originVerify: secretsmanager.Secret;
  readonly masterKey: secretsmanager.Secret;
  readonly keySigning: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: GlobalSecretsProps) {
    super(scope, id);
    const replicaRegions = props.replicaRegions.map((region) => ({ region }));
    const removalPolicy = props.retain ?? true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.originVerify = new secretsmanager.Secret(this, 'OriginVerify', {
      secretName: props.originVerifyName,
      description: 'Value of x-skyway-origin-verify that CloudFront adds and the regional ALB and gateway require',
      // Header-safe characters only: the value travels in an HTTP header and an ALB rule.
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      replicaRegions,
      removalPolicy,
    });
    this.masterKey = new secretsmanager.Secret(this, 'MasterKey', {
      secretName: props.masterKeyName,
      description: 'Skyway master key (SKYWAY_MASTER_KEY) for the admin API',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      replicaRegions,
      removalPolicy,
    });
    this.keySigning = new secretsmanager.Secret(this, 'KeySigning', {
      secretName: props.keySigningName,
      description: 'Skyway virtual-key MAC secrets (SKYWAY_KEY_SIGNING_SECRETS): a bare value is version 1; rotate by storing "1:<old>,2:<new>" and redeploying both services',
      // Alphanumerics only: the value is parsed as "<version>:<secret>,..." and published to the KVS.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      replicaRegions,
      removalPolicy,
    });
    Validations.of(this.keySigning).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation adds a version next to the old one ("1:<old>,2:<new>") and redeploys, then removes the old version once its keys are rotated (infra/README.md); a rotation Lambda replacing the value would invalidate every key.',
    });
    Validations.of(this.originVerify).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is baked into the CloudFront origin header and the ALB rule at deploy time; rotate it by a two-step deploy (gateway accepts both, then switch), not by a Lambda that would break traffic.',
    });
    Validations.of(this.masterKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Operators rotate the master key deliberately (it is handed to administrators); automatic rotation would lock them out. OIDC is the day-to-day admin sign-in.',
    });
  }
}
