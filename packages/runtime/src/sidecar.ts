import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createLogger, delay, errorMessage, type Logger } from '@outrigger/kit';
import type { ComponentRegistry, StateStore } from '@outrigger/components-api';
import { GrpcApiServer } from './api/grpc/grpc-api-server.js';
import { HttpApiServer } from './api/http/http-api-server.js';
import { handleInvocation } from './api/http/invoke-routes.js';
import { lifecycleRoutes } from './api/http/lifecycle-routes.js';
import { metadataRoutes, type SidecarIntrospection } from './api/http/metadata-routes.js';
import type { AppChannel } from './app-channel/app-channel.js';
import { createAppChannel } from './app-channel/create-app-channel.js';
import { InvokeService } from './blocks/invoke/invoke-service.js';
import { HttpEndpoints } from './blocks/invoke/http-endpoints.js';
import { createBlocks } from './blocks/all-blocks.js';
import type { SidecarBlock, SidecarContext } from './blocks/sidecar-block.js';
import { ComponentHost } from './components/component-host.js';
import { createDefaultRegistry } from './component-registry.js';
import { InternalServer } from './internal/internal-server.js';
import { buildHttpPipelines } from './middleware/pipeline-builder.js';
import { GrpcProxy } from './api/grpc/grpc-proxy.js';
import { SidecarMetrics } from './observability/sidecar-metrics.js';
import { metricsSettings } from './observability/metrics-config.js';
import { attachComponentMetrics } from './observability/metrics-components.js';
import { httpClientTargets } from './observability/metrics-http-client.js';
import { apiObservers } from './observability/metrics-api-observers.js';
import { MetricsAppChannel } from './observability/metrics-app-channel.js';
import type { SidecarTracing } from './observability/tracing.js';
import { tracingSettings } from './observability/tracing-config.js';
import { Readiness } from './lifecycle/readiness.js';
import { AppLifecycle } from './lifecycle/app-lifecycle.js';
import { LocalRegistry } from './nameresolution/local-registry.js';
import type { SidecarOptions } from './options/sidecar-options.js';
import { loadConfigurationFile, loadResources, type LoadedResources } from './resources/load-resources.js';
import { AccessControl } from './blocks/invoke/access-control.js';
import { Resiliency } from './resiliency/resiliency.js';
import { outboundOperations, withOutboundPolicies } from './resiliency/resilient-component.js';
import { runtimeVersion } from './version.js';

export interface SidecarDependencies {
  readonly registry?: ComponentRegistry;
  readonly logger?: Logger;
}

/**
 * One sidecar: loads resources, initialises components, serves the Dapr HTTP API, registers itself
 * for name resolution and waits for its app. Start phases: components → outbound ready → app ready → ready.
 */
export class Sidecar implements SidecarIntrospection {
  readonly readiness = new Readiness();
  readonly logger: Logger;
  /** Resolves once the sidecar has stopped; `exitCode` says how. */
  readonly stopped: Promise<void>;
  exitCode = 0;
  httpPort = 0;
  grpcPort = 0;
  internalPort = 0;

  private readonly host: ComponentHost;
  private readonly extended = new Map<string, string>();
  private readonly registrationId = randomUUID();
  private resources: LoadedResources | undefined;
  private httpServer: HttpApiServer | undefined;
  private grpcServer: GrpcApiServer | undefined;
  private internalServer: InternalServer | undefined;
  private grpcProxy: GrpcProxy | undefined;
  private appChannel: AppChannel | undefined;
  private invokeService: InvokeService | undefined;
  private localRegistry: LocalRegistry | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private blocks: SidecarBlock[] = [];
  private lifecycle: AppLifecycle | undefined;
  private metrics: SidecarMetrics | undefined;
  /** Absent when tracing is not configured: then no spans are made and trace context passes unchanged. */
  private tracing: SidecarTracing | undefined;
  private markStopped!: () => void;

  constructor(readonly options: SidecarOptions, dependencies: SidecarDependencies = {}) {
    this.logger = dependencies.logger ?? createLogger({ scope: 'outrigger.runtime', appId: options.appId, level: options.logLevel, json: options.logAsJson, version: runtimeVersion });
    this.host = new ComponentHost({ registry: dependencies.registry ?? createDefaultRegistry(), logger: this.logger, appId: options.appId, namespace: options.namespace });
    this.stopped = new Promise((resolve) => {
      this.markStopped = resolve;
    });
    this.readiness.onChange((phase) => {
      this.logger.info(`phase: ${phase}`);
      this.metrics?.setPhase(phase);
    });
  }

  get appId(): string {
    return this.options.appId;
  }

  /**
   * Runs the start phases up to outbound-ready and starts waiting for the app in the background.
   * @throws ResourceError or ComponentInitError when resources are invalid or a component fails.
   */
  async start(): Promise<void> {
    const { options, logger } = this;
    logger.info(`starting Outrigger ${runtimeVersion} with app id "${options.appId}"`);
    for (const warning of options.warnings) logger.warn(warning);
    this.resources = await loadResources(options.resourcesPaths, { appId: options.appId, namespace: options.namespace });
    if (options.configPath) this.resources.configurations.push(await loadConfigurationFile(options.configPath));
    for (const skipped of this.resources.skipped) logger.debug(`resource skipped: ${skipped}`);
    // Refused at start-up, as daprd refuses an invalid access control spec, before any component starts.
    const accessControl = AccessControl.fromConfigurations(this.resources.configurations, options.appId);
    const metricsConfig = metricsSettings(options.enableMetrics, this.resources.configurations);
    if (metricsConfig.enabled) {
      this.metrics = new SidecarMetrics(options.appId, options.namespace, metricsConfig, {
        inFlight: () => this.appChannel?.inFlight ?? 0,
        drainElapsedSeconds: () => {
          const progress = this.lifecycle?.drainProgress;
          return progress && (progress.step === 'waiting' || progress.step === 'stopping-inbound') ? progress.elapsedMs / 1000 : 0;
        },
      });
      try {
        const metricsPort = await this.metrics.listen(options.metricsPort, options.listenAddresses[0]);
        logger.info(`metrics served on port ${metricsPort} at /metrics`);
      } catch (error) {
        // Several sidecars on one machine all default to 9090; the API matters more than metrics.
        logger.warn(`metrics are off: cannot listen on port ${options.metricsPort}: ${errorMessage(error)}`);
      }
      attachComponentMetrics(this.host, this.metrics.components);
      this.metrics.watchHttpClient(httpClientTargets(options));
    }
    const observers = apiObservers(options, this.resources.configurations, this.metrics);
    await this.host.initAll(this.resources.components);
    for (const component of this.host.all()) this.metrics?.recordComponentLoaded(component.name, true);
    // Resiliency: outbound policies wrap the components' calls; inbound and app policies are handed to their users.
    const resiliency = await Resiliency.create(this.resources.resiliencies, { logger, onEvent: this.metrics?.resiliency.record });
    this.host.wrapInstances(({ name, instance, registration: { block } }) => {
      const policies = resiliency.forComponentOutbound(name, block);
      return policies.configured && outboundOperations[block] ? withOutboundPolicies(instance, block, policies) : instance;
    });
    this.readiness.advance('components-ready');
    // A pipeline naming a component that is missing or not middleware stops start-up here.
    const middleware = buildHttpPipelines({
      configurations: this.resources.configurations, declared: this.resources.components, loaded: (name) => this.host.get(name), logger,
    });

    // After the components: an HTTPEndpoint's secretKeyRef reads the secret stores they loaded.
    const endpoints = await HttpEndpoints.create(this.resources.httpEndpoints, {
      appId: options.appId, namespace: options.namespace, env: process.env, lookupSecret: this.host.lookupSecret, logger,
    });

    const tracingConfig = tracingSettings(this.resources.configurations);
    // Imported only when tracing is on: these modules load @opentelemetry/api.
    const traced = tracingConfig && await import('./observability/tracing-hooks.js')
      .then(async (hooks) => ({ hooks, tracing: await hooks.SidecarTracing.create(tracingConfig, options.appId, logger) }));
    this.tracing = traced?.tracing;

    this.localRegistry = new LocalRegistry(join(options.homeDir, 'registry.db'));
    const appChannel = await createAppChannel(options, logger, middleware.app);
    this.appChannel = traced && appChannel ? new traced.hooks.TracingAppChannel(appChannel, traced.tracing) : appChannel;
    if (this.metrics && this.appChannel) this.appChannel = new MetricsAppChannel(this.appChannel, this.metrics.components);
    this.invokeService = new InvokeService({
      appId: options.appId, namespace: options.namespace, appChannel: this.appChannel, registry: this.localRegistry,
      maxBodyBytes: options.maxBodyBytes, logger, inboundRefusal: () => this.lifecycle?.inboundRefusal, resiliency, endpoints,
    });
    const invoke = this.invokeService;
    const context: SidecarContext = { options, logger, components: this.host, resources: this.resources, appChannel: this.appChannel, resiliency };
    this.blocks = createBlocks(context);
    const lifecycle = new AppLifecycle(options, this.readiness, {
      startInbound: () => this.forEachBlock('starting inbound work', (block) => block.startInbound?.()),
      stopInbound: () => this.forEachBlock('stopping inbound work', (block) => block.stopInbound?.()),
      // Proxied gRPC calls into the app count too: the drain waits for them.
      inFlight: () => (this.appChannel?.inFlight ?? 0) + (this.grpcProxy?.inFlight ?? 0),
      appChannel: this.appChannel,
    }, logger);
    this.lifecycle = lifecycle;
    this.httpServer = new HttpApiServer({
      routes: [...this.blocks.flatMap((block) => block.routes?.() ?? []), ...metadataRoutes(this), ...lifecycleRoutes(lifecycle)],
      fallback: (req, res) => handleInvocation(invoke, req, res),
      pipeline: middleware.api,
      apiToken: options.apiToken, maxBodyBytes: options.maxBodyBytes, logger, observe: observers.http,
      traceCall: traced && ((req, res) => traced.hooks.traceHttpApiCall(traced.tracing, req, res)),
    });
    this.httpPort = await this.httpServer.listen(options.httpPort, options.listenAddresses);
    logger.info(`HTTP API listening on port ${this.httpPort}`);
    const proxy = new GrpcProxy({
      appId: options.appId, namespace: options.namespace, registry: this.localRegistry, appApiToken: options.appApiToken, logger,
      inboundRefusal: () => this.lifecycle?.inboundRefusal,
      app: options.appPort === undefined ? undefined : { address: options.appChannelAddress, port: options.appPort },
    });
    this.grpcProxy = proxy;
    this.grpcServer = new GrpcApiServer({
      // The Dapr service's handler (Connect, the protos, the blocks' methods) loads when first needed (see GrpcApiServer).
      loadHandler: async (hooks) => {
        const [{ daprGrpcHandler }, interceptors] = await Promise.all([import('./api/grpc/dapr-grpc-handler.js'), observers.grpc()]);
        return daprGrpcHandler({
          blocks: this.blocks, invoke, introspection: this, maxBodyBytes: options.maxBodyBytes, logger,
          interceptors: traced ? [...interceptors, traced.hooks.grpcSpanAttributes()] : interceptors,
        }, hooks);
      },
      // gRPC proxying: calls for other services, routed by their `dapr-app-id` metadata.
      unknownService: (req, res) => proxy.fromApp(req, res),
      traceCall: traced && ((req, res) => traced.hooks.traceGrpcApiCall(traced.tracing, req, res)),
      apiToken: options.apiToken, logger,
    });
    this.grpcPort = await this.grpcServer.listen(options.grpcPort, options.listenAddresses);
    logger.info(`gRPC API listening on port ${this.grpcPort}`);
    this.internalServer = new InternalServer(invoke, logger, {
      accessControl,
      proxied: (req, res) => {
        if (traced) traced.hooks.traceProxiedGrpcCall(traced.tracing, req, res);
        proxy.fromSidecar(req, res);
      },
      traceCall: traced && ((req, res) => traced.hooks.traceInternalInvocation(traced.tracing, req, res, options.appId)),
      traceFramedCall: traced && ((request) => traced.hooks.traceFramedInvocation(traced.tracing, request, options.appId)),
    });
    this.internalPort = await this.internalServer.listen(options.internalPort);
    this.register();
    this.readiness.advance('outbound-ready');
    // An app that speaks gRPC nearly always calls the gRPC API as well, and its channel has loaded Connect
    // already: load the rest now rather than on its first call (see GrpcApiServer).
    if (this.appChannel?.protocol === 'grpc') this.grpcServer.preload();
    void lifecycle.waitForApp();
  }

  /** Stops gracefully: no new requests, in-flight ones finish (bounded by the grace period), then components close. */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndClose();
    return this.stopping;
  }

  requestShutdown(force: boolean): void {
    if (force) {
      this.logger.warn('forced shutdown requested');
      this.exitCode = 1;
      this.httpServer?.closeAllConnections();
      this.grpcServer?.closeAllConnections();
    }
    void this.stop();
  }

  setExtended(key: string, value: string): void {
    if (key !== '') this.extended.set(key, value);
  }

  metadata(): Record<string, unknown> {
    const components = this.host.all().map((component) => ({
      name: component.name,
      type: component.resource.spec.type,
      version: component.resource.spec.version,
      capabilities: [...this.blocks.map((block) => block.componentCapabilities?.(component)).find((found) => found !== undefined)
        ?? capabilities(component.registration.block, component.instance)],
    }));
    const options = this.options;
    const contributed = Object.assign({}, ...this.blocks.map((block) => block.metadata?.() ?? {})) as Record<string, unknown>;
    return {
      id: options.appId,
      runtimeVersion,
      enabledFeatures: (this.resources?.configurations ?? []).flatMap((configuration) => configuration.spec.features ?? [])
        .filter((feature) => feature.enabled).map((feature) => feature.name),
      actors: [],
      components,
      extended: {
        daprRuntimeVersion: runtimeVersion,
        'outrigger.phase': this.readiness.phase,
        'outrigger.inflight': String(this.appChannel?.inFlight ?? 0),
        ...(this.lifecycle?.drainProgress ? { 'outrigger.drain': JSON.stringify(this.lifecycle.drainProgress) } : {}),
        ...Object.fromEntries(this.extended),
      },
      subscriptions: [],
      httpEndpoints: (this.resources?.httpEndpoints ?? []).map((endpoint) => ({ name: endpoint.metadata.name })),
      appConnectionProperties: {
        ...(options.appPort === undefined ? {} : { port: options.appPort }),
        protocol: options.appProtocol,
        channelAddress: options.appChannelAddress,
        ...(options.appMaxConcurrency > 0 ? { maxConcurrency: options.appMaxConcurrency } : {}),
      },
      ...contributed,
    };
  }

  private register(): void {
    const registry = this.localRegistry;
    if (!registry) return;
    registry.register({
      registrationId: this.registrationId, appId: this.options.appId, namespace: this.options.namespace,
      internalAddress: `127.0.0.1:${this.internalPort}`, httpPort: this.httpPort, grpcPort: this.grpcPort,
      appPort: this.options.appPort, pid: process.pid, startedAt: Date.now(),
    });
    this.heartbeat = setInterval(() => {
      try {
        registry.heartbeat(this.registrationId);
      } catch (error) {
        this.logger.warn(`name registry heartbeat failed: ${errorMessage(error)}`);
      }
    }, registry.updateIntervalMs);
    this.heartbeat.unref();
  }

  /** Runs one step on every block in parallel; a failing block is logged and does not stop the others. */
  private async forEachBlock(what: string, step: (block: SidecarBlock) => Promise<void> | undefined): Promise<void> {
    await Promise.all(this.blocks.map(async (block) => {
      try {
        await step(block);
      } catch (error) {
        this.logger.error(`${block.name}: ${what} failed: ${errorMessage(error)}`);
      }
    }));
  }

  private async drainAndClose(): Promise<void> {
    const forced = this.exitCode !== 0;
    clearInterval(this.heartbeat);
    if (!forced) await this.lifecycle?.blockShutdown();
    try {
      // Leave the registry first, so other sidecars send new calls to other instances of the app.
      this.localRegistry?.unregister(this.registrationId);
    } catch (error) {
      this.logger.warn(`leaving the name registry failed: ${errorMessage(error)}`);
    }
    const started = Date.now();
    if (!forced) await this.lifecycle?.drain();
    this.readiness.advance('draining');
    this.lifecycle?.stop();
    const closing = Promise.all([this.httpServer?.close(), this.grpcServer?.close(), this.internalServer?.close()]);
    // The outbound API served the app during the drain; give its last calls what is left of the grace period.
    const deadline = started + this.options.gracefulShutdownMs;
    while (!forced && (this.httpServer?.inFlight ?? 0) + (this.grpcServer?.inFlight ?? 0) > 0 && Date.now() < deadline) await delay(20);
    this.httpServer?.closeAllConnections();
    this.grpcServer?.closeAllConnections();
    this.internalServer?.closeAllConnections();
    await closing;
    this.grpcProxy?.close();
    await Promise.all(this.blocks.map((block) => block.close?.().catch(() => undefined)));
    await Promise.all([this.host.closeAll(), this.appChannel?.close(), this.invokeService?.close(), this.metrics?.close()]);
    this.localRegistry?.close();
    // Last, so the spans of the calls the drain waited for are sent too.
    await this.tracing?.shutdown();
    this.readiness.advance('stopped');
    this.markStopped();
  }
}

function capabilities(block: string, instance: unknown): string[] {
  const withFeatures = instance as Partial<Pick<StateStore, 'features'>>;
  if (typeof withFeatures.features !== 'function') return [];
  const features: string[] = [...withFeatures.features()];
  if (block !== 'state') return features;
  if (features.includes('ETAG') && features.includes('TRANSACTIONAL') && !features.includes('ACTOR')) features.push('ACTOR');
  return features;
}
