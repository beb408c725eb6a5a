// The two-hop chains the hop scenarios measure (hop-cost, hop-instructions): A takes the request, B hands
// it to the app on `appPort`. Each returns the URL to load, the pids of the two processes that proxy
// ([A, B]) and a stop function. `prefix` runs the hops under another command (valgrind), which also
// needs longer to start (`readyTimeoutMs`, `pollMs`) and to stop (`graceMs`).
import { childPids, freePort, waitForStatus } from './processes.mjs';
import { startSidecar } from './outrigger.mjs';
import { startNginxHop } from './tools.mjs';

/** Sidecar A (no app) → sidecar B (the app); app ids `hop-a-<tag>` and `hop-b-<tag>`. */
export async function startSidecarChain(ctx, appPort, { tag, extraFlags = [], cli, nodeArgs = [], prefix, readyTimeoutMs, pollMs, graceMs } = {}) {
  const common = { home: ctx.home, resourcesPath: ctx.emptyResources, extraFlags, cli, nodeArgs, prefix, readyTimeoutMs, pollMs };
  const B = await startSidecar({ ...common, appId: `hop-b-${tag}`, appPort, waitForApp: true });
  const A = await startSidecar({ ...common, appId: `hop-a-${tag}` }).catch(async (error) => {
    await B.stop(graceMs);
    throw error;
  });
  return { url: `${A.baseUrl}/v1.0/invoke/hop-b-${tag}/method/echo`, pids: [A.child.pid, B.child.pid], stop: () => Promise.all([A.stop(graceMs), B.stop(graceMs)]) };
}

/**
 * Two single-worker nginx hops. The pids are the workers' (the masters only wait); under a prefix
 * nginx runs without a master (valgrind cannot be reached in a forked worker), so they are the children's.
 */
export async function startNginxChain(ctx, appPort, { prefix, readyTimeoutMs = 10_000, pollMs, graceMs } = {}) {
  const [portA, portB] = [await freePort(), await freePort()];
  const B = startNginxHop({ listenPort: portB, upstreamPort: appPort, workDir: ctx.workDir, prefix });
  const A = startNginxHop({ listenPort: portA, upstreamPort: portB, workDir: ctx.workDir, prefix });
  const stop = () => Promise.all([A.stop(graceMs), B.stop(graceMs)]);
  const url = `http://127.0.0.1:${portA}/echo`;
  try {
    await waitForStatus(url, 200, A, readyTimeoutMs, pollMs);
    return { url, pids: prefix ? [A.pid, B.pid] : [A, B].map((master) => childPids(master.pid)[0]), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
