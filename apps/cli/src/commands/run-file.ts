import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '@outrigger/kit';
import { defaultConfigPath, defaultResourcesPaths, isDirectory } from './home-paths.js';

/** A run file that cannot be used; names the file and the field, as the sidecar's resource errors do. */
export class RunFileError extends Error {
  constructor(readonly file: string, readonly field: string, detail: string) {
    super(`run file ${file}: ${field === '' ? '' : `field "${field}": `}${detail}`);
    this.name = 'RunFileError';
  }
}

// Keys as the dapr CLI's yaml tags spell them (pkg/standalone/run.go, pkg/runfileconfig).
const sharedShape = {
  configFilePath: z.string(),
  appProtocol: z.string(),
  apiListenAddresses: z.string(),
  logLevel: z.string(),
  appMaxConcurrency: z.number().int(),
  resourcesPath: z.string(),
  resourcesPaths: z.array(z.string()),
  maxBodySize: z.union([z.string(), z.number()]),
  enableApiLogging: z.boolean(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
};
const appShape = {
  ...sharedShape,
  appID: z.string().min(1),
  appDirPath: z.string().min(1),
  appPort: z.number().int(),
  appChannelAddress: z.string(),
  daprHTTPPort: z.number().int(),
  daprGRPCPort: z.number().int(),
  daprInternalGRPCPort: z.number().int(),
  metricsPort: z.number().int(),
  command: z.array(z.string()),
};
/** Fields dapr knows that Outrigger accepts without acting on them (health checks, profiling, Kubernetes, log files). */
const ignoredShared = [
  'enableProfiling', 'placementHostAddress', 'schedulerHostAddress', 'appSSL', 'readBufferSize', 'enableAppHealthCheck',
  'appHealthCheckPath', 'appHealthProbeInterval', 'appHealthProbeTimeout', 'appHealthThreshold', 'runtimePath',
  'daprdLogDestination', 'appLogDestination',
];
const ignoredApp = [...ignoredShared, 'profilePort', 'unixDomainSocket', 'containerImage', 'containerImagePullPolicy', 'createService'];

const optional = <T extends Record<string, z.ZodType>>(shape: T): { [K in keyof T]: z.ZodOptional<T[K]> } =>
  Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };

const sharedSchema = z.looseObject(optional(sharedShape));
const appSchema = z.looseObject({ ...optional(appShape), appDirPath: appShape.appDirPath });
const runFileSchema = z.looseObject({
  version: z.number().int(),
  name: z.string().optional(),
  common: sharedSchema.optional(),
  apps: z.array(appSchema).min(1),
});

type Shared = z.infer<typeof sharedSchema>;
type App = z.infer<typeof appSchema>;

/** One app of a run file with its paths resolved and common values merged in; ports ≤ 0 or absent are picked free later. */
export interface PlannedApp {
  readonly appId: string;
  readonly appDir: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly appPort: number | undefined;
  readonly appProtocol: string;
  readonly appChannelAddress: string;
  readonly httpPort: number | undefined;
  readonly grpcPort: number | undefined;
  readonly internalGrpcPort: number | undefined;
  readonly metricsPort: number | undefined;
  readonly resourcesPaths: readonly string[];
  readonly configPath: string | undefined;
  readonly logLevel: string | undefined;
  readonly enableApiLogging: boolean;
  readonly appMaxConcurrency: number | undefined;
  readonly maxBodySize: string | undefined;
  readonly listenAddresses: string | undefined;
}

export interface RunFilePlan {
  /** Absolute path of the run file, stored as `runTemplatePath` so `stop -f` finds the apps again. */
  readonly file: string;
  readonly name: string | undefined;
  readonly apps: readonly PlannedApp[];
  readonly warnings: readonly string[];
}

/**
 * Where `-f <path>` points: a folder means `<folder>/dapr.yaml`; a file must end in .yaml or .yml.
 * @throws RunFileError when missing.
 */
export function resolveRunFilePath(path: string, cwd = process.cwd()): string {
  let file = resolve(cwd, expandHome(path));
  if (isDirectory(file)) file = join(file, 'dapr.yaml');
  if (!['.yaml', '.yml'].includes(extname(file))) throw new RunFileError(file, '', 'the run file must be a .yaml or .yml file (or a folder with dapr.yaml)');
  if (!existsSync(file)) throw new RunFileError(file, '', 'file not found');
  return file;
}

/**
 * Reads and validates a run file in `dapr run -f` format and resolves it the way the dapr CLI does:
 * `common` paths and `appDirPath` relative to the run file's folder, an app's own paths relative to
 * its appDirPath; resources from the app, else `<appDirPath>/.dapr/resources`, else common, else the
 * Outrigger home; config likewise with `.dapr/config.yaml`. Zero-valued app fields take common's value.
 * @throws RunFileError naming the field at fault.
 */
export function loadRunFile(path: string, home: string, cwd = process.cwd()): RunFilePlan {
  const file = resolveRunFilePath(path, cwd);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RunFileError(file, '', `not valid YAML: ${errorMessage(error)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RunFileError(file, '', 'expected a mapping with version, common and apps');
  const parsed = runFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? fieldName(issue.path) : '';
    const missing = issue !== undefined && valueAt(raw, issue.path) === undefined;
    throw new RunFileError(file, field, missing ? 'required field is missing' : issue?.message ?? 'invalid');
  }
  const runFile = parsed.data;
  if (runFile.version !== 1) throw new RunFileError(file, 'version', `unsupported version ${runFile.version}; use 1`);

  const baseDir = dirname(file);
  const warnings: string[] = [];
  warnAboutFields(raw as Record<string, unknown>, ['version', 'name', 'common', 'apps'], [], '', warnings);
  const common = runFile.common ?? {};
  if (runFile.common) warnAboutFields(runFile.common, Object.keys(sharedShape), ignoredShared, 'common.', warnings);
  const commonResources = resolvePaths(file, 'common', common, baseDir);
  const commonConfig = common.configFilePath === undefined ? undefined : existingPath(file, 'common.configFilePath', baseDir, common.configFilePath);

  const seen = new Map<string, number>();
  const apps = runFile.apps.map((app, index): PlannedApp => {
    const at = `apps[${index}]`;
    warnAboutFields(app, Object.keys(appShape), ignoredApp, `${at}.`, warnings);
    const appDir = existingPath(file, `${at}.appDirPath`, baseDir, app.appDirPath);
    if (!isDirectory(appDir)) throw new RunFileError(file, `${at}.appDirPath`, `"${appDir}" is not a folder`);
    const appId = app.appID ?? basename(appDir);
    const previous = seen.get(appId);
    if (previous !== undefined) throw new RunFileError(file, `${at}.appID`, `app id "${appId}" is already used by apps[${previous}]`);
    seen.set(appId, index);
    if (app.command?.[0] === '') throw new RunFileError(file, `${at}.command`, 'the first element (the program) is empty');

    const merged = mergeShared(app, common);
    const ownResources = resolvePaths(file, at, app, appDir);
    const dotResources = join(appDir, '.dapr', 'resources');
    const resourcesPaths = ownResources.length > 0 ? ownResources
      : isDirectory(dotResources) ? [dotResources]
        : commonResources.length > 0 ? commonResources
          : defaultResourcesPaths(home);
    const dotConfig = join(appDir, '.dapr', 'config.yaml');
    const configPath = app.configFilePath !== undefined ? existingPath(file, `${at}.configFilePath`, appDir, app.configFilePath)
      : existsSync(dotConfig) ? dotConfig
        : commonConfig ?? defaultConfigPath(home);
    const env = Object.fromEntries(Object.entries({ ...common.env, ...app.env }).map(([key, value]) => [key, String(value)]));
    return {
      appId,
      appDir,
      command: app.command ?? [],
      env,
      appPort: positive(app.appPort),
      appProtocol: merged.appProtocol ?? 'http',
      appChannelAddress: app.appChannelAddress || '127.0.0.1',
      httpPort: positive(app.daprHTTPPort),
      grpcPort: positive(app.daprGRPCPort),
      internalGrpcPort: positive(app.daprInternalGRPCPort),
      metricsPort: positive(app.metricsPort),
      resourcesPaths,
      configPath,
      logLevel: merged.logLevel,
      enableApiLogging: merged.enableApiLogging ?? false,
      appMaxConcurrency: positive(merged.appMaxConcurrency),
      maxBodySize: merged.maxBodySize === undefined ? undefined : String(merged.maxBodySize),
      listenAddresses: merged.apiListenAddresses,
    };
  });
  return { file, name: runFile.name, apps, warnings };
}

/** As the dapr CLI: an app field left at its zero value takes common's value (so `false` cannot undo a common `true`). */
function mergeShared(app: App, common: Shared): Shared {
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(sharedShape) as (keyof Shared)[]) {
    const own = app[key];
    merged[key] = isZero(own) ? common[key] : own;
  }
  return merged as Shared;
}

function isZero(value: unknown): boolean {
  return value === undefined || value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0);
}

/** `resourcesPaths` plus the older single `resourcesPath`, each resolved against `base` and required to exist. */
function resolvePaths(file: string, at: string, shared: Shared, base: string): string[] {
  const paths = (shared.resourcesPaths ?? []).map((path, index) => existingPath(file, `${at}.resourcesPaths[${index}]`, base, path));
  if (shared.resourcesPath !== undefined && shared.resourcesPath !== '') paths.push(existingPath(file, `${at}.resourcesPath`, base, shared.resourcesPath));
  return paths;
}

function existingPath(file: string, field: string, base: string, path: string): string {
  const absolute = resolve(base, expandHome(path));
  if (!existsSync(absolute)) throw new RunFileError(file, field, `path "${absolute}" does not exist`);
  return absolute;
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') && !isAbsolute(path) ? join(homedir(), path.slice(2)) : path;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** Warns about dapr fields Outrigger ignores and about unknown keys (often a case slip such as `appId`). */
function warnAboutFields(object: Record<string, unknown>, known: readonly string[], ignored: readonly string[], at: string, warnings: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    if (known.includes(key)) continue;
    if (ignored.includes(key)) {
      if (!isZero(value)) warnings.push(`${at}${key} is not supported by Outrigger yet and is ignored`);
      continue;
    }
    const hint = [...known, ...ignored].find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    warnings.push(`unknown field ${at}${key} is ignored${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, part) => typeof part === 'number' ? `${name}[${part}]` : name === '' ? String(part) : `${name}.${String(part)}`, '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}
