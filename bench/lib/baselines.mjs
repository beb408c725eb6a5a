// The plain-Node baselines: what a Node process with no runtime in it costs on this machine, measured in
// the same run as the sidecars, so each target can be read against the least any Node hop reaches here.
//   node proxies: two bare forwarding proxies (apps/bare-proxy.mjs), one process per hop like two sidecars
//   state hop:    one bare HTTP server that answers state gets and saves from the store (apps/state-hop.mjs)
//   bare node:    an idle `node` process that runs no code (RSS floor)
import { join } from 'node:path';
import { SIDECAR_NODE_FLAGS } from '../../apps/cli/dist/commands/sidecar-node-flags.js';
import { benchApps, Child, freePort, waitListening } from './processes.mjs';

/** How long a baseline process may take to say it listens (the loop this replaced tried 500 times, 20 ms apart). */
const startMs = 10_000;

// The baselines run with the node settings the sidecar runs with, so memory and CPU compare like for like.
const nodeFlags = SIDECAR_NODE_FLAGS;

/** Two bare Node proxies, A ─▶ B ─▶ app; `url(path)` is a URL on A. `prefix` runs each under another command (valgrind). */
export async function startNodeProxies(appPort, { prefix, readyTimeoutMs = startMs } = {}) {
  const [portA, portB] = [await freePort(), await freePort()];
  const proxy = (port, next) => new Child(process.execPath, [...nodeFlags, join(benchApps, 'bare-proxy.mjs'), String(port), next], { name: `bare proxy ${port}`, prefix });
  const B = proxy(portB, `http://127.0.0.1:${appPort}`);
  const A = proxy(portA, `http://127.0.0.1:${portB}`);
  try {
    await waitListening([A, B], readyTimeoutMs);
  } catch (error) {
    await Promise.all([A.stop(), B.stop()]);
    throw error;
  }
  return { url: (path) => `http://127.0.0.1:${portA}${path}`, pids: [A.pid, B.pid], children: { A, B }, stop: () => Promise.all([A.stop(), B.stop()]) };
}

/** The bare state hop: HTTP GET and POST /<store>/<key>, gRPC GetState and SaveState, on Redis and a SQLite file. */
export async function startStateHop(sqliteFile) {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const child = new Child(process.execPath, [...nodeFlags, join(benchApps, 'state-hop.mjs'), String(port), String(grpcPort), sqliteFile], { name: 'state hop' });
  try {
    await waitListening([child], startMs);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { origin: `http://127.0.0.1:${port}`, grpcPort, pid: child.pid, stop: () => child.stop() };
}

/** A node process that runs nothing but a timer: the RSS every Node process starts from. */
export async function startBareNode() {
  const child = new Child(process.execPath, [...nodeFlags, '-e', 'console.log("listening"); setInterval(() => {}, 60_000)'], { name: 'bare node' });
  await waitListening([child], startMs);
  return { pid: child.pid, stop: () => child.stop() };
}
