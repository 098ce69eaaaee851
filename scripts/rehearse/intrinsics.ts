/**
 * Evaluates the CloudFormation intrinsics the Skyway templates use (Ref, Fn::GetAtt, Fn::Join, Fn::Select,
 * Fn::Split, pseudo parameters) and `{{resolve:secretsmanager:…}}` dynamic references, against values the
 * rehearsal supplies: what CloudFormation would know after a deploy (resource names, endpoints) comes from the
 * mapping (mapping.ts), secret values from the Secrets Manager stand-in.
 */
export type CfnValue = string | number | boolean | null | CfnValue[] | { [k: string]: CfnValue };

export interface IntrinsicContext {
  /** Value of `Ref` to a resource (or pseudo parameter). */
  ref(logicalId: string): string;
  /** Value of `Fn::GetAtt`. */
  getAtt(logicalId: string, attribute: string): string;
  /** Value of a `{{resolve:secretsmanager:<id>:SecretString:<jsonKey>::}}` reference. */
  secret(secretId: string, jsonKey: string | undefined): string;
}

const DYNAMIC_REF = /\{\{resolve:secretsmanager:([^}]*?):SecretString:([^:}]*):[^:}]*:[^:}]*\}\}/g;

/** Resolve every intrinsic in `value` to a string. */
export function resolveValue(value: CfnValue, ctx: IntrinsicContext): string {
  if (typeof value === 'string') return value.replace(DYNAMIC_REF, (_m, id: string, key: string) => ctx.secret(id, key || undefined));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || Array.isArray(value)) throw new Error(`cannot resolve ${JSON.stringify(value)} to a string`);
  const [fn, arg] = Object.entries(value)[0] ?? [];
  switch (fn) {
    case 'Ref':
      return ctx.ref(arg as string);
    case 'Fn::GetAtt': {
      const [id, attr] = arg as [string, string];
      return ctx.getAtt(id, attr);
    }
    case 'Fn::Join': {
      const [sep, parts] = arg as [string, CfnValue[]];
      // Join first, then resolve dynamic references: a reference may span joined parts.
      return resolveValue(parts.map((p) => (typeof p === 'string' ? p : resolveValue(p, ctx))).join(sep), ctx);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, CfnValue];
      const items = Array.isArray(list) ? list.map((x) => resolveValue(x, ctx)) : resolveList(list, ctx);
      return items[Number(index)]!;
    }
    default:
      throw new Error(`unsupported intrinsic ${fn ?? '(empty)'} in ${JSON.stringify(value)}`);
  }
}

function resolveList(value: CfnValue, ctx: IntrinsicContext): string[] {
  const [fn, arg] = Object.entries(value as Record<string, CfnValue>)[0] ?? [];
  if (fn === 'Fn::Split') {
    const [sep, src] = arg as [string, CfnValue];
    return resolveValue(src, ctx).split(sep);
  }
  throw new Error(`unsupported list intrinsic ${fn}`);
}
