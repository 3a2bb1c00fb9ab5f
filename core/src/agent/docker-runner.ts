/**
 * The docker runner: each run's agent runner in a container of the configured image,
 * speaking the run protocol over the container's attached stdin and stdout.
 *
 * Hardened by default: no network at all, read-only root with a tmpfs at /tmp, every
 * capability dropped, `no-new-privileges`, memory, CPU and pids limits, an init. The
 * group folder is mounted at /group without its `.arizuko/` (host state), and the
 * unit's run folder at /run/arizuko, where each run's MCP and model sockets are.
 *
 * Containers are warm (warm-pool.ts): a unit's container serves the unit's next run
 * without a cold start. Containers carry labels naming the instance, group and run,
 * are removed however they end, and start-up removes any an earlier host left behind.
 */
import { randomUUID } from "node:crypto";
import { chownSync, lstatSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import type { HelloFrame, RunFrame } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { ArizukoError } from "../errors.js";
import { readHello, type RunnerLink } from "./link.js";
import type { HarnessSetting, RunHandle, RunHandlers, Runner } from "./runner.js";
import { unitOf, WarmPool } from "./warm-pool.js";

/** The `runner.docker` settings (see the config schema), and what the kernel adds. */
export type DockerRunnerOptions = Config["runner"]["docker"] & {
  helloTimeoutMs: number;
  keepWarmMs: number;
  maxRunners: number;
  /** Labels the containers of this instance, so orphans of another instance are left alone. */
  instance: string;
  log: Logger;
};

export const LABEL = { instance: "arizuko.instance", boot: "arizuko.boot", group: "arizuko.group", run: "arizuko.run" } as const;
/** Mount points of the group folder and the unit's run folder inside the container. */
export const GROUP_MOUNT = "/group";
export const RUN_MOUNT = "/run/arizuko";
/** Bytes of stderr kept for failure messages. */
const STDERR_TAIL = 4096;

/** Returns the engine's socket path: the setting (a path or `unix://path`), else DOCKER_HOST, else the usual one. */
export function engineSocket(host: string | null): string {
  const configured = host ?? (process.env.DOCKER_HOST?.startsWith("unix://") ? process.env.DOCKER_HOST : null);
  if (configured === null) return "/var/run/docker.sock";
  return configured.startsWith("unix://") ? configured.slice("unix://".length) : configured;
}

/** Gives `path` and everything under it (but `.arizuko/`) to `uid`, so the agent can write its memory. */
function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path)) {
    if (entry === ".arizuko") continue;
    const child = join(path, entry);
    const stat = lstatSync(child);
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

export class DockerRunner implements Runner {
  readonly name = "docker";
  private readonly docker: Docker;
  private readonly socket: string;
  private readonly uid: number;
  private readonly gid: number;
  /** This host process: its own containers (the start-up check) are not orphans. */
  private readonly boot = randomUUID();
  private readonly pool: WarmPool;

  constructor(private readonly options: DockerRunnerOptions) {
    this.socket = engineSocket(options.host);
    this.docker = new Docker({ socketPath: this.socket });
    const root = process.getuid?.() === 0;
    let ids: number[];
    if (options.user !== "auto") ids = options.user.split(":").map(Number);
    else if (root) ids = [1000, 1000];
    else ids = [process.getuid!(), process.getgid!()];
    const [uid, gid] = ids;
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new ArizukoError("ARZ_ERR_CONFIG_INVALID", `runner.docker.user must be "auto" or uid:gid, got ${JSON.stringify(options.user)}`);
    this.uid = uid!;
    this.gid = gid!;
    this.pool = new WarmPool(options);
  }

  async start(frame: RunFrame, handlers: RunHandlers): Promise<RunHandle> {
    const log = this.options.log.child({ runId: frame.run_id, group: frame.group.folder, runner: "docker" });
    this.handOver(frame);
    const inside: RunFrame = {
      ...frame,
      group: { folder: frame.group.folder, path: GROUP_MOUNT },
      mcp: frame.mcp && { socket: `${RUN_MOUNT}/${basename(frame.mcp.socket)}`, token: frame.mcp.token },
      model: frame.model && { ...frame.model, socket: `${RUN_MOUNT}/${basename(frame.model.socket)}` },
    };

    return this.pool.run(unitOf(frame), inside, handlers, async () => {
      const container = await this.create(frame);
      return { link: await this.attach(container, log), name: `container ${container.id.slice(0, 12)}` };
    }, log);
  }

  /** Ends containers that wait for work (shutdown); running ones end with their runs. */
  async shutdown(): Promise<void> {
    this.pool.shutdown();
  }

  /** Starts the image once without mounts and reads its `hello`. */
  async check(harnesses: HarnessSetting[]): Promise<HelloFrame> {
    await this.docker.ping().catch((error: Error) => {
      throw this.unreachable(error);
    });
    try {
      await this.docker.getImage(this.options.image).inspect();
    } catch (error) {
      throw new ArizukoError(
        "ARZ_ERR_AGENT_IMAGE",
        `agent image ${this.options.image} is not available on the Docker engine (${(error as Error).message}); build it with node scripts/stage-image.mjs agent DIR && docker build -t ${this.options.image} DIR`,
      );
    }
    const container = await this.docker.createContainer(this.spec("check", null, []));
    const link = await this.attach(container, this.options.log.child({ runner: "docker", check: true }));
    return readHello(link, harnesses, this.options.helloTimeoutMs);
  }

  /** Removes the container of a run a crashed host left behind. */
  reap(_pid: number, runId: string): void {
    void this.removeWhere(`${LABEL.run}=${runId}`);
  }

  /** Removes every container of this instance that an earlier host process started. */
  async cleanup(): Promise<void> {
    await this.removeWhere(`${LABEL.instance}=${this.options.instance}`).catch((error: Error) => {
      throw error instanceof ArizukoError ? error : this.unreachable(error);
    });
  }

  private unreachable(error: Error): ArizukoError {
    return new ArizukoError(
      "ARZ_ERR_DOCKER_ENGINE",
      `cannot reach the Docker engine at ${this.socket} (${error.message}); check runner.docker.host (a socket path or unix://path) and that arizuko's user may use the socket (e.g. is in its group)`,
    );
  }

  private async removeWhere(label: string): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    for (const info of containers.filter((candidate) => candidate.Labels[LABEL.boot] !== this.boot)) {
      await this.docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
      this.options.log.warn({ container: info.Id.slice(0, 12), run: info.Labels[LABEL.run] }, "removed an agent container left by an earlier host");
    }
  }

  /** The container's user must be able to use the group folder and the run's socket. */
  private handOver(frame: RunFrame): void {
    if (process.getuid?.() !== 0) return;
    chownTree(frame.group.path, this.uid, this.gid);
    for (const socket of [frame.mcp?.socket, frame.model?.socket]) {
      if (!socket) continue;
      chownSync(dirname(socket), this.uid, this.gid);
      chownSync(socket, this.uid, this.gid);
    }
  }

  private create(frame: RunFrame): Promise<Docker.Container> {
    const mounts: Docker.MountSettings[] = [
      { Type: "bind", Source: frame.group.path, Target: GROUP_MOUNT, ReadOnly: false },
      // Host state of the group stays out of sight: an empty read-only tmpfs covers it.
      { Type: "tmpfs", Source: "", Target: `${GROUP_MOUNT}/.arizuko`, ReadOnly: true, TmpfsOptions: { SizeBytes: 4096, Mode: 0o555 } },
    ];
    const runFolder = frame.mcp?.socket ?? frame.model?.socket;
    if (runFolder) mounts.push({ Type: "bind", Source: dirname(runFolder), Target: RUN_MOUNT, ReadOnly: true });
    return this.docker.createContainer(this.spec(frame.run_id, frame.group.folder, mounts));
  }

  private spec(runId: string, group: string | null, mounts: Docker.MountSettings[]): Docker.ContainerCreateOptions {
    const { options } = this;
    return {
      Image: options.image,
      User: `${this.uid}:${this.gid}`,
      Env: ["HOME=/tmp"],
      WorkingDir: GROUP_MOUNT,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      // stdin EOF reaches the runner, which then exits: a container never outlives its host.
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: true,
      Labels: { [LABEL.instance]: options.instance, [LABEL.boot]: this.boot, [LABEL.run]: runId, ...(group !== null && { [LABEL.group]: group }) },
      HostConfig: {
        NetworkMode: "none",
        ReadonlyRootfs: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Init: true,
        Memory: options.memoryMb * 1024 * 1024,
        NanoCpus: Math.round(options.cpus * 1e9),
        PidsLimit: options.pidsLimit,
        Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${options.tmpfsMb}m` },
        Mounts: mounts,
      },
    };
  }

  /** Attaches to the container's streams, starts it, and removes it once it exits. */
  private async attach(container: Docker.Container, log: Logger): Promise<RunnerLink> {
    const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    // A write to a container that just ended must not become an unhandled error of the host.
    stream.on("error", (error: Error) => log.debug({ err: error }, "container stream closed"));
    const stdout = new PassThrough();
    const stderrStream = new PassThrough();
    this.docker.modem.demuxStream(stream, stdout, stderrStream);
    let stderr = "";
    stderrStream.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));

    let alive = true;
    const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
    const errorListeners: Array<(error: Error) => void> = [];
    const remove = () => container.remove({ force: true }).catch((error: unknown) => log.debug({ err: error }, "container already removed"));

    try {
      await container.start();
    } catch (error) {
      await remove();
      throw error;
    }
    container
      .wait()
      .then(({ StatusCode }: { StatusCode: number }) => ({ code: StatusCode, error: null }))
      .catch((error: Error) => ({ code: null, error }))
      .then(async ({ code, error }) => {
        alive = false;
        stdout.end();
        await remove();
        if (error) for (const listener of errorListeners) listener(error);
        // 137 is a SIGKILL: the host's kill, or the kernel's OOM killer.
        for (const listener of exitListeners) listener(code, code === 137 ? "SIGKILL" : null);
      });

    return {
      stdin: stream as unknown as import("node:stream").Writable,
      stdout,
      pid: null,
      onExit: (listener) => exitListeners.push(listener),
      onError: (listener) => errorListeners.push(listener),
      stderr: () => stderr,
      kill: () => {
        if (alive) void container.kill().catch(() => undefined);
      },
      alive: () => alive,
    };
  }
}
