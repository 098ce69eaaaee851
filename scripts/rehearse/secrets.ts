/**
 * The Secrets Manager stand-in: one value per `AWS::SecretsManager::Secret` resource of the synthesized
 * templates, generated the way its `GenerateSecretString` says (length, JSON template and key) or composed from
 * its `SecretString` (with the intrinsics resolved against the rehearsal's stores). A secret with a `Name` is
 * global: its replicas in other regions are the same secret and share the value, as Secrets Manager replication
 * does. Secrets are found by ARN (with or without an ECS `:jsonKey::` suffix), by name, or by logical id.
 */
import { randomInt } from 'node:crypto';
import { resolveValue, type CfnValue, type IntrinsicContext } from './intrinsics.js';
import type { Template } from './template-model.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function generate(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

interface SecretResource {
  stackRegion: string;
  logicalId: string;
  name: string | undefined;
  props: Record<string, any>;
  context: IntrinsicContext;
}

export class SecretsStandIn {
  private readonly resources: SecretResource[] = [];
  private readonly values = new Map<SecretResource, string>();

  /** Register the secrets of one stack; `context` resolves the intrinsics in their SecretString. */
  addStack(region: string, template: Template, context: IntrinsicContext): void {
    for (const [logicalId, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::SecretsManager::Secret') continue;
      this.resources.push({ stackRegion: region, logicalId, name: r.Properties?.Name, props: r.Properties ?? {}, context });
    }
  }

  /** The ARN a `Ref` to a secret resource yields. */
  arnOf(region: string, logicalId: string, account: string): string {
    const r = this.find(region, logicalId);
    return `arn:aws:secretsmanager:${region}:${account}:secret:${r?.name ?? logicalId}`;
  }

  /** Whether `logicalId` is a secret of the stack in `region`. */
  has(region: string, logicalId: string): boolean {
    return this.resources.some((r) => r.stackRegion === region && r.logicalId === logicalId);
  }

  /** Every secret resource, as (region, logical id, name). */
  list(): Array<{ region: string; logicalId: string; name: string | undefined }> {
    return this.resources.map((r) => ({ region: r.stackRegion, logicalId: r.logicalId, name: r.name }));
  }

  /**
   * The value of a secret reference as ECS or a dynamic reference gives it: `id` is an ARN (optionally with
   * `:jsonKey:stage:version`), a name, or a logical id; `region` is the caller's.
   */
  resolve(region: string, id: string, jsonKey?: string): string {
    let ref = id;
    let key = jsonKey;
    const arn = /^arn:[^:]+:secretsmanager:([^:]+):\d+:secret:(.+)$/.exec(id);
    let where = region;
    if (arn) {
      where = arn[1]!;
      const [name, k] = arn[2]!.split(':');
      ref = name!;
      if (k) key = k;
    }
    const r = this.find(where, ref);
    if (!r) throw new Error(`secret ${id} is not defined by any template (region ${where})`);
    const whole = this.valueOf(r);
    if (!key) return whole;
    const field = (JSON.parse(whole) as Record<string, unknown>)[key];
    if (typeof field !== 'string') throw new Error(`secret ${id} has no JSON key ${key}`);
    return field;
  }

  /** Replace the value of a named secret everywhere (rotation). */
  put(name: string, value: string): void {
    const r = this.resources.find((x) => x.name === name);
    if (!r) throw new Error(`no secret named ${name}`);
    this.values.set(r, value);
  }

  private find(region: string, ref: string): SecretResource | undefined {
    // A named secret is one secret in every region (replicas share the value); prefer the primary's resource.
    return this.resources.find((r) => r.name === ref) ?? this.resources.find((r) => r.stackRegion === region && r.logicalId === ref);
  }

  private valueOf(r: SecretResource): string {
    const known = this.values.get(r);
    if (known !== undefined) return known;
    let value: string;
    const gen = r.props.GenerateSecretString as { PasswordLength?: number; SecretStringTemplate?: string; GenerateStringKey?: string } | undefined;
    if (gen) {
      const secret = generate(gen.PasswordLength ?? 32);
      value = gen.SecretStringTemplate && gen.GenerateStringKey ? JSON.stringify({ ...JSON.parse(gen.SecretStringTemplate), [gen.GenerateStringKey]: secret }) : secret;
    } else if (r.props.SecretString !== undefined) {
      value = resolveValue(r.props.SecretString as CfnValue, r.context);
    } else {
      value = generate(32);
    }
    this.values.set(r, value);
    return value;
  }
}
