/**
 * The ECS service stand-in for one role in one region: keeps the template's desired count of tasks running
 * behind the ALB stand-in's target group, and replaces tasks as ECS does — a rolling deploy starts the new task,
 * waits for it to pass the target group's health check (minimumHealthyPercent 100), then deregisters the old one
 * (no new requests) and stops it with SIGTERM and the stop timeout; a task that dies is replaced by a fresh one
 * with an empty disk.
 */
import { freePort } from '../../test-support/free-port.js';
import type { AlbStandIn } from './alb.js';
import type { ImageSpec } from './image.js';
import type { IntrinsicContext } from './intrinsics.js';
import { RehearsalTask } from './task.js';
import { taskEnvironment, type LocalEndpoints } from './task-env.js';
import type { TaskSpec } from './template-model.js';

export class ServiceStandIn {
  readonly tasks: RehearsalTask[] = [];
  private seq = 0;
  /** Environment of the last task started (for the report and the contract checks). */
  lastEnv: Record<string, string> = {};

  constructor(
    readonly region: string,
    readonly spec: TaskSpec,
    private readonly image: ImageSpec,
    private readonly ctx: IntrinsicContext,
    private readonly local: LocalEndpoints,
    private readonly alb: AlbStandIn,
  ) {}

  /** Start the desired count, each healthy before the call returns. */
  async deploy(): Promise<void> {
    await Promise.all(Array.from({ length: this.spec.desiredCount }, () => this.startTask()));
  }

  /** Tasks that exited before becoming healthy (ECS starts another one), with the end of their logs. */
  readonly failedStarts: string[] = [];

  /** Start a task as ECS does: a task that exits before it is healthy is replaced, up to `attempts` times. */
  async startTask(attempts = 3): Promise<RehearsalTask> {
    for (let i = 1; ; i++) {
      try {
        return await this.startOnce();
      } catch (err) {
        this.failedStarts.push((err as Error).message.slice(0, 400));
        if (i >= attempts) throw err;
      }
    }
  }

  private async startOnce(): Promise<RehearsalTask> {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const ports = this.spec.role === 'api' ? { port: a, adminPort: b, metricsPort: c } : { port: b, adminPort: a, metricsPort: c };
    const env = taskEnvironment(this.spec, this.ctx, this.local, ports);
    this.lastEnv = env;
    const task = new RehearsalTask({ name: `${this.region}-${this.spec.role}-${++this.seq}`, image: this.image, env, port: a, stopTimeoutS: this.spec.stopTimeoutS });
    this.tasks.push(task);
    this.alb.register(this.spec.targetGroupId, task.name, a);
    try {
      await Promise.race([
        this.alb.healthy(this.spec.targetGroupId, task.name, 90_000),
        task.exited.then((r) => {
          throw new Error(`task ${task.name} exited (${r.code ?? r.signal}) before becoming healthy:\n${task.logs().slice(-3000)}`);
        }),
      ]);
      // The container health check of the task definition, on the task's mapped port.
      const check = /http:\/\/127\.0\.0\.1:\d+(\/[^'"\s)]*)/.exec(this.spec.healthCheck.command.join(' '));
      if (!check) throw new Error(`task definition health check has no loopback URL: ${this.spec.healthCheck.command.join(' ')}`);
      const live = await fetch(`http://127.0.0.1:${a}${check[1]}`).then((r) => r.status, () => 0);
      if (live !== 200) throw new Error(`container health check ${check[1]} answered ${live}`);
    } catch (err) {
      await task.kill();
      this.forget(task);
      throw err;
    }
    return task;
  }

  /** Rolling replacement of one task: new task healthy first, then the old one drained and stopped. */
  async roll(old: RehearsalTask): Promise<{ stopped: { code: number | null; signal: NodeJS.Signals | null; ms: number }; replacement: RehearsalTask }> {
    const replacement = await this.startTask();
    this.alb.deregister(this.spec.targetGroupId, old.name);
    const stopped = await old.stop();
    this.forget(old);
    return { stopped, replacement };
  }

  /** A task lost without a drain (SIGKILL), replaced by a fresh one with an empty disk. */
  async crash(old: RehearsalTask): Promise<RehearsalTask> {
    await this.lose(old);
    return this.startTask();
  }

  /** A task lost without a drain (SIGKILL); ECS's replacement is started by the caller (`startTask`). */
  async lose(task: RehearsalTask): Promise<void> {
    this.alb.deregister(this.spec.targetGroupId, task.name);
    await task.kill();
    this.forget(task);
  }

  private forget(task: RehearsalTask): void {
    this.alb.remove(this.spec.targetGroupId, task.name);
    const i = this.tasks.indexOf(task);
    if (i >= 0) this.tasks.splice(i, 1);
  }

  async close(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.kill()));
    this.tasks.length = 0;
  }
}
