/**
 * The set-up the bridge's integration tests share: the Worker under `wrangler dev` for the file
 * (started once: it takes seconds), and per test the fault proxies, bridges and room sockets the
 * test starts, all stopped when the test ends so that no bridge of one test consumes into the
 * next. Topics and consumer groups stay per test (`unique` names), as before.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startBridge, type BridgeProcess } from './bridge.ts';
import { tokenFor } from './fixture.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { openRoom, type RoomSocket } from './room-client.ts';
import { startWorker, type WorkerHost } from './worker.ts';

export type Pipeline = {
  /** The file's Worker (from beforeAll on). */
  readonly worker: WorkerHost;
  /** A fault proxy in front of the Worker (passing everything until its mode is set). */
  proxy(): Promise<FaultProxy>;
  /** A bridge process; SIGKILLed at the end of the test unless it exited before. */
  bridge(env: Record<string, string>): BridgeProcess;
  /** A socket on `room` as its own viewer (`sub`), with an optional query (`after=…`). */
  socket(room: string, opts?: { sub?: string; query?: string }): Promise<RoomSocket>;
};

/**
 * Registers the hooks of a file's pipeline and returns it. `workerVars`: the Worker's variables
 * on top of the test secrets (e.g. a short PIPELINE_STALL_MS).
 */
export function usePipeline(opts: { workerVars?: Record<string, string> } = {}): Pipeline {
  let worker: WorkerHost | undefined;
  const bridges: BridgeProcess[] = [];
  const proxies: FaultProxy[] = [];
  const sockets: RoomSocket[] = [];

  beforeAll(async () => {
    worker = await startWorker({ vars: opts.workerVars });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await Promise.all(bridges.splice(0).map((b) => b.kill('SIGKILL')));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await worker?.stop();
  });

  const started = () => {
    if (!worker) throw new Error('the pipeline is used before its beforeAll ran');
    return worker;
  };
  return {
    get worker() {
      return started();
    },
    async proxy() {
      const proxy = await startFaultProxy(started().url);
      proxies.push(proxy);
      return proxy;
    },
    bridge(env) {
      const bridge = startBridge(env);
      bridges.push(bridge);
      return bridge;
    },
    async socket(room, { sub, query } = {}) {
      const socket = await openRoom(started().url, room, await tokenFor('viewer', sub), query);
      sockets.push(socket);
      return socket;
    },
  };
}
