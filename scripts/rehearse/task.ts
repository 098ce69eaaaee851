/**
 * One ECS task of the rehearsal: the image's entry command as a process with exactly the environment its task
 * definition gives it (plus the documented local mappings), an empty data directory (Fargate's ephemeral disk,
 * gone with the task), and ECS's stop sequence: SIGTERM, then SIGKILL after the task definition's stop timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test-support/paths.js';
import type { ImageSpec } from './image.js';

export interface TaskOptions {
  name: string;
  image: ImageSpec;
  /** The resolved task definition environment (plain + secrets) with the mappings applied. */
  env: Record<string, string>;
  /** Port the container listens on (the mapped container port). */
  port: number;
  stopTimeoutS: number;
}

export class RehearsalTask {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  private readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly stopTimeoutS: number;

  constructor(opts: TaskOptions) {
    this.name = opts.name;
    this.port = opts.port;
    this.stopTimeoutS = opts.stopTimeoutS;
    this.dataDir = mkdtempSync(join(tmpdir(), `skyway-task-${opts.name}-`));
    const [bin, ...args] = opts.image.cmd;
    if (bin !== 'node') throw new Error(`image CMD must start with node, got ${bin}`);
    // The image's /app is the repository's build output here; its data dir is this task's empty disk.
    const env = { ...opts.image.env, ...opts.env, SKYWAY_DATA_DIR: this.dataDir, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    this.child = spawn(process.execPath, [...(opts.image.nodeArgs ?? []), ...args], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logs(): string {
    return this.output;
  }

  /** ECS's stop: SIGTERM, SIGKILL when the stop timeout passes. Resolves with how the process ended. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const t0 = Date.now();
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), this.stopTimeoutS * 1000);
    const r = await this.exited;
    clearTimeout(timer);
    this.cleanup();
    return { ...r, ms: Date.now() - t0 };
  }

  /** A crash or an instance loss: no drain. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
