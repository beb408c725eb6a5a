import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { componentYaml } from './component-yaml.js';
import { cliMain, freePort, Spawned, tempDir, waitForStatus, writeFile } from './processes.js';

export interface SidecarHandle {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly process: Spawned;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly appId: string;
  /** Folder of component YAML. */
  readonly resourcesPath: string;
  /** Shared Outrigger home (name registry) for sidecars that must find each other. */
  readonly home: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly extraFlags?: readonly string[];
  /** `outrigger run` mode: the app command to run beside the sidecar. */
  readonly appCommand?: readonly string[];
  readonly appPort?: number;
  /** Wait for /v1.0/healthz (app ready too) instead of /healthz/outbound. */
  readonly waitForApp?: boolean;
  /** `sidecar` starts `outrigger sidecar` alone (daprd style); default `run`. */
  readonly mode?: 'run' | 'sidecar';
}

/**
 * Starts a sidecar with `outrigger run` (with or without an app) or `outrigger sidecar` on free ports and waits until it
 * answers its health endpoint. A port found free can be taken by another process before the sidecar binds it
 * (tests run in parallel); a start that fails with EADDRINUSE is tried again on new ports, at most three times.
 */
export async function startRun(options: StartOptions): Promise<SidecarHandle> {
  for (let attempt = 1; ; attempt++) {
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const mode = options.mode ?? 'run';
    if (mode === 'sidecar' && options.appCommand) throw new Error('sidecar mode runs no app command');
    const args = [cliMain, mode, '--app-id', options.appId, '--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort),
      '--resources-path', options.resourcesPath, ...(options.appPort ? ['--app-port', String(options.appPort)] : []), ...(options.extraFlags ?? [])];
    if (options.appCommand) args.push('--', ...options.appCommand);
    const spawned = new Spawned(process.execPath, args, { env: { ...process.env, OUTRIGGER_HOME: options.home, ...options.env } });
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    try {
      await waitForStatus(`${baseUrl}/v1.0/healthz${options.waitForApp ? '' : '/outbound'}`, 204, spawned);
    } catch (error) {
      await spawned.stop();
      if (attempt < 3 && /EADDRINUSE/.test(spawned.output)) continue;
      throw error;
    }
    return { appId: options.appId, httpPort, grpcPort, process: spawned, baseUrl, stop: () => spawned.stop() };
  }
}

/**
 * Waits until `outrigger run` has recorded the last of its metadata entries in the sidecar (cliPID, then
 * appCommand and appPID once its app started), which it PUTs after the sidecar is up: a test that counts
 * the sidecar's API requests must not see them.
 */
export async function waitForRunMetadata(sidecar: SidecarHandle): Promise<void> {
  await waitFor(`outrigger run to record its metadata in ${sidecar.appId}'s sidecar`, async () => {
    try {
      const metadata = await (await fetch(`${sidecar.baseUrl}/v1.0/metadata`)).json() as { extended?: Record<string, string> };
      return metadata.extended?.appPID !== undefined;
    } catch {
      return false;
    }
  });
}

/** Writes the two embedded state stores (sqlite file in `dir`, and in-memory) as component YAML and returns the folder. */
export function writeStateComponents(dir: string, extraYaml = ''): string {
  const resources = join(dir, 'resources');
  writeFile(join(resources, 'statestore.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${join(dir, 'state.db')}
  - name: actorStateStore
    value: "true"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memstore
spec:
  type: state.in-memory
  version: v1
${extraYaml}`);
  return resources;
}

/** Component YAML for an in-memory pub/sub named `name`. */
export function inMemoryPubSubYaml(name = 'pubsub'): string {
  return componentYaml(name, 'pubsub.in-memory', {});
}

/** Component YAML for the embedded durable pub/sub in `file`. */
export function sqlitePubSubYaml(file: string, name = 'pubsub', extraMetadata = ''): string {
  return `---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: pubsub.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${file}
${extraMetadata}`;
}

export { tempDir };
