/**
 * The task definitions' side of the contract (shared/contract/env.ts): every variable a task definition sets must
 * be declared there for the container's role, secrets only by reference, and every variable the contract marks
 * `required` for the role must be present. Checked at synth time, so infra cannot drift from the gateway.
 */
import { ENV, type EnvName, type EnvVarSpec, requiredInAws } from '../../../shared/contract/index.js';

export type TaskRole = 'api' | 'admin';

/** Problems with the variables a task definition of `role` sets (plain and secret), none when it is right. */
export function contractProblems(role: TaskRole, plain: readonly string[], secrets: readonly string[]): string[] {
  const problems: string[] = [];
  const check = (name: string, asSecret: boolean) => {
    if (!Object.prototype.hasOwnProperty.call(ENV, name)) return problems.push(`${role}: ${name} is not declared in shared/contract/env.ts`);
    const spec: EnvVarSpec = ENV[name as EnvName];
    if (!spec.roles.includes(role)) problems.push(`${role}: ${name} is not read by the ${role} role (contract roles: ${spec.roles.join(', ')})`);
    if (spec.aws === 'local' || spec.aws === 'platform') problems.push(`${role}: ${name} is ${spec.aws === 'local' ? 'local-only' : 'set by the platform'}; a task definition must not set it`);
    if (Boolean(spec.secret) !== asSecret) problems.push(`${role}: ${name} must be ${spec.secret ? 'a Secrets Manager reference' : 'a plain value'}`);
  };
  for (const n of plain) check(n, false);
  for (const n of secrets) check(n, true);
  const present = new Set([...plain, ...secrets]);
  for (const n of requiredInAws(role)) if (!present.has(n)) problems.push(`${role}: ${n} is required in AWS but missing from the task definition`);
  return problems;
}

/** A typed environment map: only contract names compile. */
export function contractEnvironment(values: Partial<Record<EnvName, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
}
