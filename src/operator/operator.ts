/**
 * The operator process, wired: hub informers (cache/hub-informers.ts), the agent wire server with its session state,
 * the Site controller, the member informers at every site (cache/member-informers.ts) and the TrainingJob and
 * InferenceService controllers they wake. This is a composition root — it picks the real clock and builds every
 * collaborator — but it reads no environment: the CLI (src/cli/commands/operator.ts) turns flags and the environment
 * into OperatorOptions.
 *
 * Start order: the health and metrics endpoints (when asked for), informers (so caches fill while the rest starts),
 * then — with leader election — the wait for the Lease, then the member informers and the gRPC server (agents may
 * connect at once; their state queues up in SiteSessions and the site controller's queue), then the controllers, which
 * begin reconciling once every cache they read has synced. A standby thus warms its caches but neither binds the agent
 * port nor writes anything: agents, and the Service's readiness probe, find only the leader. Stop: the controllers
 * first (running reconciles finish, nothing new starts), then the gRPC server (agents reconnect to the next
 * operator), then the member informers, then the Lease is released (only now, so a successor never overlaps a
 * running reconcile), then the hub informers. Controllers go before the server so
 * that the sessions this shutdown ends are not written into every Site as AgentDisconnected: that would flap each
 * site on every rollout, while the next operator reads the last status and gives agents a lease to come back
 * (site-status.ts).
 *
 * Losing the Lease (leader-election.ts) stops the operator by itself and resolves `leadershipLost`; the process should
 * then exit and be restarted, which drops every in-memory state the old term built (controller-runtime does the
 * same). An Operator is not restarted in place.
 */
import { CoordinationV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_CADENCE, OperatorServer } from '../wire/server.ts';
import { parseSiteName } from '../wire/identity.ts';
import type { TlsFiles } from '../wire/tls.ts';
import { SiteClients } from '../clusters/site-clients.ts';
import { SiteMemberPorts } from '../clusters/site-member-ports.ts';
import { PullTransport } from './pull-transport.ts';
import { inferenceServiceKey } from '../controllers/inference/controller.ts';
import { trainingJobKey } from '../controllers/training/controller.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import type { Controller } from '../runtime/controller.ts';
import { newSiteController, siteKey } from '../controllers/site/site-controller.ts';
import { SiteSessions } from '../controllers/site/site-sessions.ts';
import { DEFAULT_LEASE_MS, DEFAULT_LOST_AFTER_MS, DEFAULT_SUCCESS_THRESHOLD, type SiteStatusConfig } from '../controllers/site/site-status.ts';
import { newInferenceController } from '../controllers/inference/controller.ts';
import { newTrainingController } from '../controllers/training/controller.ts';
import { PromisedCapacityTracker } from '../controllers/framework/promised-capacity.ts';
import { AdmissionLedger } from '../controllers/framework/admission-ledger.ts';
import { siteChangeMatters } from '../controllers/framework/site-change-source.ts';
import { newQueueController } from '../controllers/queues/controller.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/config.ts';
import { OperatorConfigError } from './errors.ts';
import { restorePromises } from './restore-promises.ts';
import { HealthServer } from './health-server.ts';
import { hubInformers, type HubInformers } from '../cache/hub-informers.ts';
import { MemberInformers, siteMemberInformer } from '../cache/member-informers.ts';
import { InformerSupervisor } from '../runtime/informer-supervisor.ts';
import { MetricsServer } from '../runtime/metrics-server.ts';
import { newMetricsRegistry } from '../runtime/metrics-registry.ts';
import { HubEventRecorder, type EventRecorder } from '../controllers/framework/events.ts';
import { OperatorMetrics } from './metrics/operator-metrics.ts';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../controllers/framework/member-labels.ts';
import { Kind, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../api/names.ts';
import { LeaderElector, resolveLeaderElectionTiming, type LeaderElectionTiming, type LeadershipLoss } from './leader-election.ts';
import { KubernetesLeaseClient } from './lease-client.ts';
import { formatAddress, parseListen } from './listen.ts';
import { readServerTls } from './tls-dir.ts';
import { AgentCertificatePolicy } from './agent-certificates.ts';
import { RevokedCertificatesFile } from './revoked-certificates.ts';
import { formatDuration } from '../api/duration.ts';
import { SYSTEM_NAMESPACE } from '../api/names.ts';

export { OperatorConfigError } from './errors.ts';

/** DEFAULT_HEARTBEAT_INTERVAL_MS is the heartbeat cadence Register hands agents. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = DEFAULT_CADENCE.heartbeatIntervalMs;

/** OperatorOptions configures an Operator. */
export interface OperatorOptions {
  /** The hub: a loaded KubeConfig (in-cluster, say) or the path of a kubeconfig file. */
  readonly kubeconfig: KubeConfig | string;
  /** listen is "host:port" for the agent gRPC endpoint; port 0 picks a free one. */
  readonly listen: string;
  /** tlsDir holds ca.crt, server.crt and server.key (see tls-dir.ts). */
  readonly tlsDir: string;
  /**
   * revokedAgentCertificates is a file of revoked agent client certificates (revoked-certificates.ts), re-read when
   * it changes; unset revokes nothing. Sites may pin theirs too (agent-certificates.ts).
   */
  readonly revokedAgentCertificates?: string;
  /** leaseMs: no heartbeat for this long makes a site Unknown (default 40 s); agents are told it too. */
  readonly leaseMs?: number;
  /** successThreshold: consecutive heartbeats before Ready is True again (default 2). */
  readonly successThreshold?: number;
  /** heartbeatIntervalMs: the heartbeat cadence agents are told (default 10 s); must be well below the lease. */
  readonly heartbeatIntervalMs?: number;
  /** lostAfterMs: silence after which a site is Lost and its workloads move (default 5 min; 0 never). */
  readonly lostAfterMs?: number;
  /** siteLostGraceMs: how long workloads stay on a site that is not Ready before they move (inference and training). */
  readonly siteLostGraceMs?: number;
  /**
   * pollIntervalMs: how often a placed workload's member objects are read even when nothing woke it (default 10 s).
   * Member Jobs and Deployments are watched at every site, so this is only the safety net.
   */
  readonly pollIntervalMs?: number;
  /**
   * headOfLineMs: how long the first waiting workload of a queue may be passed by later, smaller ones before nothing
   * behind it that wants the same devices is admitted (default 5 min; queueing/admission-cycle.ts).
   */
  readonly headOfLineMs?: number;
  /** gangStartTimeoutMs: how long a placed gang may wait for all its workers to run before it is withdrawn (5 min). */
  readonly gangStartTimeoutMs?: number;
  /** leaderElection: when set, only the holder of this Lease runs the controllers and the agent endpoint. */
  readonly leaderElection?: LeaderElectionOptions;
  /** healthListen is "host:port" for the HTTP liveness endpoint (GET /healthz, see health-server.ts); unset: none. */
  readonly healthListen?: string;
  /** metricsListen is "host:port" for the Prometheus endpoint (GET /metrics, docs/metrics.md); unset: none. */
  readonly metricsListen?: string;
  /** metricsRegistry holds the operator's metrics (default: a new one with the process metrics); tests pass their own. */
  readonly metricsRegistry?: Registry;
  /**
   * namespace is the operator's own (default SYSTEM_NAMESPACE): the only namespace site kubeconfig Secrets are read
   * from (the chart's Role grants Secrets there alone); a Site naming another is refused (ConnectionAccepted=False).
   */
  readonly namespace?: string;
  readonly logger: Logger;
  /** clock for everything (default the system clock); the wire's clock and timers are bridged from it. */
  readonly clock?: Clock;
}

/** LeaderElectionOptions names the Lease the operator replicas compete for; the durations are leader-election.ts's. */
export interface LeaderElectionOptions extends Partial<LeaderElectionTiming> {
  /** namespace of the Lease (the operator's own: the chart's Role grants Leases there). */
  readonly namespace: string;
  readonly leaseName: string;
  /** identity of this replica, unique among them: the pod name, or the host name plus a random suffix. */
  readonly identity: string;
  /** onStandby is called while waiting, each time the Lease is seen held by another replica (the CLI prints it). */
  readonly onStandby?: (holder: string) => void;
}

/** OperatorAddress is where the agent endpoint listens once started. */
export interface OperatorAddress {
  readonly host: string;
  readonly port: number;
  /** address is host:port, IPv6 bracketed. */
  readonly address: string;
}

/** Operator runs the hub-side operator; start once, stop once. */
export class Operator {
  readonly #o: OperatorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #config: OperatorConfig;
  #state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new';
  // #lost is set when the Lease was lost: the stop then closes the agent endpoint without waiting for reconciles.
  #lost = false;
  #health: HealthServer | undefined;
  #metricsServer: MetricsServer | undefined;
  #metricsPort: number | undefined;
  readonly #metrics: OperatorMetrics;
  #informers: HubInformers | undefined;
  #members: MemberInformers | undefined;
  #ledger: AdmissionLedger | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  /** Aborted when stop() begins: ends the waits of start(). */
  readonly #stopSignal = new AbortController();
  #elector: LeaderElector | undefined;
  #server: OperatorServer | undefined;
  #certificates: AgentCertificatePolicy | undefined;
  #controllers: Controller[] = [];
  #stopping: Promise<void> | undefined;
  #resolveLost!: (loss: LeadershipLoss) => void;
  /**
   * leadershipLost resolves when this operator lost the Lease while leading (never without leader election). It has
   * begun stopping by then; the process should exit non-zero once stop() resolves.
   */
  readonly leadershipLost: Promise<LeadershipLoss>;

  /** The constructor checks the settings (throws OperatorConfigError, see resolveOperatorConfig); start reads files. */
  constructor(options: OperatorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ component: 'operator' });
    this.#config = resolveOperatorConfig(options);
    this.#metrics = new OperatorMetrics(options.metricsRegistry ?? newMetricsRegistry());
    this.leadershipLost = new Promise((resolve) => (this.#resolveLost = resolve));
  }

  /** metrics is the registry every metric of this operator is on (served on metricsListen when set). */
  get metrics(): Registry {
    return this.#metrics.registry;
  }

  /** metricsPort is the port /metrics is served on once start() bound it; undefined without metricsListen. */
  get metricsPort(): number | undefined {
    return this.#metricsPort;
  }

  /**
   * start reads the kubeconfig and TLS files, waits for the Lease (with leader election), binds the agent endpoint and
   * starts the controllers; it resolves once every controller runs (its caches synced). Throws OperatorConfigError
   * for problems the user can fix. If stop() is called, or the Lease is lost, meanwhile, it resolves early and the
   * operator stays stopped: to undefined when that happened before the agent endpoint was bound.
   */
  async start(): Promise<OperatorAddress | undefined> {
    if (this.#state !== 'new') throw new Error('operator was already started');
    this.#state = 'starting';
    const listen = parseListen(this.#o.listen) as NonNullable<ReturnType<typeof parseListen>>;
    const kc = loadKubeConfig(this.#o.kubeconfig);
    const tls: TlsFiles = readServerTls(this.#o.tlsDir);
    const revoked = this.#o.revokedAgentCertificates === undefined ? undefined : new RevokedCertificatesFile(this.#o.revokedAgentCertificates, this.#o.logger);

    // 0. Liveness, first: a standby must answer it too.
    if (this.#o.healthListen !== undefined) {
      const health = new HealthServer(parseListen(this.#o.healthListen) as NonNullable<ReturnType<typeof parseListen>>, this.#o.logger);
      this.#health = health;
      try {
        await health.start();
      } catch (err: unknown) {
        await this.stop();
        throw new OperatorConfigError(`cannot listen on ${this.#o.healthListen} (health endpoint): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (this.#state !== 'starting') return undefined;
    }
    // Metrics too: a standby's caches and process are worth watching, and its gauges say it holds no agents.
    if (this.#o.metricsListen !== undefined) {
      const at = parseListen(this.#o.metricsListen) as NonNullable<ReturnType<typeof parseListen>>;
      const server = new MetricsServer({ host: at.host, port: at.port, registry: this.#metrics.registry, logger: this.#o.logger });
      this.#metricsServer = server;
      try {
        this.#metricsPort = await server.start();
      } catch (err: unknown) {
        await this.stop();
        throw new OperatorConfigError(`cannot listen on ${this.#o.metricsListen} (metrics endpoint): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (this.#state !== 'starting') return undefined;
    }

    // 1. Caches.
    const namespace = this.#o.namespace ?? SYSTEM_NAMESPACE;
    const informers = hubInformers(kc, this.#clock, this.#o.logger, namespace);
    this.#informers = informers;
    for (const i of informers.all) i.start();
    // Member informers come and go with the sites: each is counted until the scrape after it stopped.
    const memberInformers = new Set<InformerSupervisor<KubernetesObject>>();
    this.#metrics.informers.track(() => {
      const members = [...memberInformers];
      for (const m of members) if (!m.running) memberInformers.delete(m);
      return [...informers.all, ...members];
    });
    let sessionsOfLeader: SiteSessions | undefined;
    this.#metrics.watchCaches({
      sites: () => informers.sites.list(),
      trainingJobs: () => informers.trainingJobs.list(),
      inferenceServices: () => informers.inferenceServices.list(),
      queues: () => informers.queues.list(),
      sessions: () => sessionsOfLeader,
      now: () => this.#clock.now(),
    });

    // 2. Leadership: a standby waits here with warm caches.
    const le = this.#o.leaderElection;
    if (le !== undefined) {
      const elector = new LeaderElector({
        client: new KubernetesLeaseClient(kc.makeApiClient(CoordinationV1Api), le.namespace, le.leaseName),
        identity: le.identity,
        clock: this.#clock,
        logger: this.#o.logger,
        ...pickTiming(le),
        ...(le.onStandby !== undefined && { onNewLeader: le.onStandby }),
      });
      this.#elector = elector;
      void elector.lost.then((loss) => this.#onLost(loss));
      const leading = await elector.acquire();
      if (!leading || this.#state !== 'starting') return undefined;
    }
    // Sessions start empty now, not at process start: a standby's wait must not eat the agents' reconnect grace.
    const startedAt = this.#clock.now();
    const statusConfig: SiteStatusConfig = { ...this.#config, startedAt };

    // 3. Agent sessions and the site controller they wake.
    let siteController: Controller | undefined;
    const sessions = new SiteSessions({
      clock: this.#clock,
      leaseMs: this.#config.leaseMs,
      onChange: (site) => siteController?.queue.add(siteKey(site)),
      requestResync: (site, reason) => void this.#server?.requestResync(site, reason),
      logger: this.#o.logger.child({ component: 'site-sessions' }),
    });
    sessionsOfLeader = sessions;
    const loopMetrics = this.#metrics.loop;
    const siteClients = new SiteClients({ clock: this.#clock, namespace, secret: (ns, name) => informers.secrets.get(ns, name) });
    siteController = newSiteController({
      sites: informers.sites,
      sessions,
      hub: kc.makeApiClient(CustomObjectsApi),
      clock: this.#clock,
      logger: this.#o.logger,
      config: statusConfig,
      connection: (site) => siteClients.check(site),
      secrets: informers.secrets,
      metrics: loopMetrics,
    });
    // The member objects at every site wake their workloads; only the leader watches the sites.
    const memberInformer = siteMemberInformer(this.#clock, this.#o.logger);
    const members = new MemberInformers({
      sites: informers.sites,
      secrets: informers.secrets,
      siteClients,
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`,
      clock: this.#clock,
      logger: this.#o.logger,
      factory: (client, kind, selector) => {
        const informer = memberInformer(client, kind, selector);
        if (informer instanceof InformerSupervisor) memberInformers.add(informer);
        return informer;
      },
    });
    this.#members = members;
    members.start();
    // Pull mode: the desired and reported members of every pull site, carried over the agents' sessions. It removes
    // members no workload owns only once the hub's caches have listed (step 5).
    let cachesSynced = false;
    let wakeTraining: (key: string) => void = () => {};
    let wakeInference: (key: string) => void = () => {};
    const pull = new PullTransport({
      clock: this.#clock,
      logger: this.#o.logger,
      owners: {
        synced: () => cachesSynced,
        trainingJob: (ns, name) => informers.trainingJobs.get(ns, name),
        inferenceService: (ns, name) => informers.inferenceServices.get(ns, name),
        sites: () => informers.sites.list(),
      },
      wake: (kind, ns, name) => {
        if (kind !== 'Deployment') wakeTraining(trainingJobKey(ns, name));
        if (kind !== 'Job') wakeInference(inferenceServiceKey(ns, name));
      },
    });
    // One tracker for both placing controllers, so neither over-commits what the other placed a moment ago.
    const promised = new PromisedCapacityTracker();
    const workloadOptions = {
      hub: kc,
      sitePorts: new SiteMemberPorts({ siteClients, pull: (site) => pull.members.port(site.metadata.name ?? '') }),
      clock: this.#clock,
      logger: this.#o.logger,
      promised,
      metrics: loopMetrics,
      ...(this.#o.siteLostGraceMs !== undefined && { siteLostGraceMs: this.#o.siteLostGraceMs }),
      ...(this.#o.pollIntervalMs !== undefined && { pollIntervalMs: this.#o.pollIntervalMs }),
    };
    // Admission: one ledger for both workload kinds, whose cycles start once the caches hold everything (step 5).
    let refreshQueues: () => void = () => {};
    const ledger = new AdmissionLedger({
      sources: {
        queues: () => informers.queues.list(),
        trainingJobs: () => informers.trainingJobs.list(),
        inferenceServices: () => informers.inferenceServices.list(),
        sites: () => informers.sites.list(),
      },
      promised,
      config: DEFAULT_PLACEMENT_CONFIG,
      clock: this.#clock,
      logger: this.#o.logger.child({ component: 'admission' }),
      wake: (key) => {
        const training = key.startsWith(`${Kind.TrainingJob}/`);
        // The ledger wakes a workload exactly when its verdict changed: that is one decision.
        const verdict = ledger.peek(key);
        if (verdict !== undefined) this.#metrics.admission.decided(training ? Kind.TrainingJob : Kind.InferenceService, verdict);
        if (training) wakeTraining(key);
        else wakeInference(key);
      },
      afterCycle: () => {
        const cycle = ledger.lastCycle();
        if (cycle !== undefined) this.#metrics.admission.cycled(cycle.durationMs / 1000);
        refreshQueues();
      },
      ...(this.#o.headOfLineMs !== undefined && { headOfLineMs: this.#o.headOfLineMs }),
      // A TrainingJob is placed inside the cycle; an InferenceService only checks its quota there (its replicas are
      // placed, and timed, by its reconciler).
      timeLook: (kind) => (kind === Kind.TrainingJob ? this.#metrics.placementTimer(kind)() : () => {}),
    });
    this.#ledger = ledger;
    // Each kind its own recorder, as the factories' default: one per kind keeps their repeat rules apart.
    const recorder = (kind: string): EventRecorder => this.#metrics.events.recorder(kind, new HubEventRecorder({ kubeConfig: kc, clock: this.#clock, logger: this.#o.logger }));
    const trainingController = newTrainingController({
      ...workloadOptions,
      events: recorder(Kind.TrainingJob),
      admission: ledger,
      ...(this.#o.gangStartTimeoutMs !== undefined && { gangStartTimeoutMs: this.#o.gangStartTimeoutMs }),
      findMemberJobs: (namespace, name) => [
        ...members.find('Job', { namespaceLabel: LABEL_NAMESPACE, nameLabel: LABEL_WORKLOAD }, namespace, name),
        ...pull.findMembers('Job', namespace, name),
      ],
      fenceThroughAgent: (site, workload) => {
        const name = parseSiteName(site);
        if (name !== undefined) this.#server?.requestFence(name, [workload]);
      },
      informers: { trainingJobs: informers.trainingJobs, sites: informers.sites, memberJobs: members.jobs },
    });
    const inferenceController = newInferenceController({
      ...workloadOptions,
      events: recorder(Kind.InferenceService),
      placementTimer: this.#metrics.placementTimer(Kind.InferenceService),
      admission: ledger,
      informers: { inferenceServices: informers.inferenceServices, sites: informers.sites, memberDeployments: members.deployments },
    });
    const queues = newQueueController({
      hub: kc,
      ledger,
      clock: this.#clock,
      logger: this.#o.logger,
      informers: { queues: informers.queues, trainingJobs: informers.trainingJobs, inferenceServices: informers.inferenceServices },
      metrics: loopMetrics,
    });
    wakeTraining = (key) => trainingController.queue.add(key);
    wakeInference = (key) => inferenceController.queue.add(key);
    refreshQueues = queues.refreshAll;
    this.#controllers = [siteController, trainingController, inferenceController, queues.controller];

    // 4. The agent endpoint, and which of the certificates the agent CA signed it accepts.
    const certificates = new AgentCertificatePolicy({
      sites: informers.sites,
      ...(revoked !== undefined && { revoked }),
      clock: this.#clock,
      logger: this.#o.logger,
      recheck: (site) => void this.#server?.recheckCertificates(site),
    });
    this.#certificates = certificates;
    certificates.start();
    const server = new OperatorServer({
      address: formatAddress(listen.host, listen.port),
      tls,
      handler: this.#metrics.messages.counting(pull.handler(sessions)),
      logger: this.#o.logger,
      clock: this.#clock,
      cadence: { ...DEFAULT_CADENCE, heartbeatIntervalMs: this.#config.heartbeatIntervalMs, leaseDurationMs: this.#config.leaseMs },
      checkCertificate: certificates.check,
    });
    this.#server = server;
    pull.attach((site, sync) => server.sendMemberSync(site, sync));
    let port: number;
    try {
      port = await server.start();
    } catch (err: unknown) {
      await this.stop();
      const why = err instanceof Error ? err.message : String(err);
      throw new OperatorConfigError(`cannot listen on ${this.#o.listen}: ${why}`);
    }
    const address = { host: listen.host, port, address: formatAddress(listen.host, port) };
    if (this.#state !== 'starting') {
      // stop() ran while the port was being bound, when there was no server to stop yet.
      await server.stop();
      return address;
    }

    // 5. What the previous leader promised and the sites do not report yet, held again before anything is placed.
    // The Secrets too: a workload's first pass builds its site's client from them, and one read before they are in
    // the cache finds no kubeconfig and counts the site as unreachable.
    try {
      const caches = [informers.trainingJobs, informers.inferenceServices, informers.sites, informers.queues, informers.secrets];
      await Promise.all(caches.map((c) => c.waitForSync(this.#stopSignal.signal)));
    } catch (err: unknown) {
      if (this.#stopSignal.signal.aborted) return address;
      throw err;
    }
    cachesSynced = true;
    const held = restorePromises(promised, {
      trainingJobs: informers.trainingJobs.list(),
      inferenceServices: informers.inferenceServices.list(),
      sites: informers.sites.list(),
    });
    if (held > 0) this.#log.info({ workloads: held }, 'promised capacity restored from workload statuses');
    // Admission cycles from here: every change that can matter asks for one (coalesced), and one runs periodically.
    const ask = (): void => ledger.request();
    this.#unsubscribe.push(
      informers.trainingJobs.onChange(ask),
      informers.inferenceServices.onChange(ask),
      informers.queues.onChange(ask),
      informers.sites.onChange((site, previous) => {
        if (siteChangeMatters(previous, site)) ask();
      }),
    );
    ledger.start();

    // 6. Controllers; each waits for its caches (and returns early if stop() comes first).
    try {
      await Promise.all(this.#controllers.map((c) => c.start()));
    } catch (err: unknown) {
      await this.stop();
      throw err;
    }
    if (this.#state === 'starting') {
      this.#state = 'started';
      this.#log.info({ address: address.address, ...this.#config }, 'operator started');
    }
    return address;
  }

  /**
   * stop ends the controllers, then agent sessions, then releases the Lease, then the informers and the health
   * endpoint; safe to call during start and twice (a second call resolves when the first stop is done).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce();
    return this.#stopping;
  }

  async #stopOnce(): Promise<void> {
    this.#stopSignal.abort(new Error('operator stopped'));
    const running = this.#informers !== undefined;
    this.#state = 'stopping';
    if (running) this.#log.info('operator stopping');
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#ledger?.stop();
    if (this.#lost) {
      // Another replica may take over soon: stop accepting agents at once, not after the reconciles drain.
      await Promise.all([...this.#controllers.map((c) => c.stop()), this.#server?.stop()]);
    } else {
      // A graceful stop lets the controllers finish first, so a restart does not write AgentDisconnected everywhere.
      await Promise.all(this.#controllers.map((c) => c.stop()));
      await this.#server?.stop();
    }
    this.#certificates?.stop();
    await this.#members?.stop();
    await this.#elector?.stop();
    await Promise.all((this.#informers?.all ?? []).map((i) => i.stop()));
    await this.#health?.stop();
    await this.#metricsServer?.stop();
    this.#state = 'stopped';
    if (running) this.#log.info('operator stopped');
  }

  #onLost(loss: LeadershipLoss): void {
    this.#log.error({ reason: loss.reason }, 'lost leadership: stopping the controllers and the agent endpoint');
    this.#lost = true;
    void this.stop();
    this.#resolveLost(loss);
  }
}

/** pickTiming copies the durations that are set, so unset ones take the elector's defaults. */
function pickTiming(o: Partial<LeaderElectionTiming>): Partial<LeaderElectionTiming> {
  return {
    ...(o.leaseDurationMs !== undefined && { leaseDurationMs: o.leaseDurationMs }),
    ...(o.renewDeadlineMs !== undefined && { renewDeadlineMs: o.renewDeadlineMs }),
    ...(o.retryPeriodMs !== undefined && { retryPeriodMs: o.retryPeriodMs }),
  };
}

/** LEASE_NAME and NAMESPACE are what the apiserver accepts as a Lease name (a DNS subdomain) and a namespace. */
const LEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** checkLeaderElection checks the Lease's names, the identity and the durations; throws OperatorConfigError. */
function checkLeaderElection(le: LeaderElectionOptions): void {
  if (!NAMESPACE.test(le.namespace) || le.namespace.length > 63) {
    throw new OperatorConfigError(`leader-election namespace must be a DNS label, got ${JSON.stringify(le.namespace)}`);
  }
  if (!LEASE_NAME.test(le.leaseName) || le.leaseName.length > 253) {
    throw new OperatorConfigError(`leader-election lease name must be a DNS subdomain, got ${JSON.stringify(le.leaseName)}`);
  }
  if (le.identity.trim() === '') throw new OperatorConfigError('leader-election identity must not be empty');
  resolveLeaderElectionTiming(pickTiming(le));
}

/** OperatorConfig is the settings with their defaults applied. */
export interface OperatorConfig extends SiteStatusConfig {
  readonly heartbeatIntervalMs: number;
}

/**
 * resolveOperatorConfig applies the defaults and checks that the settings fit together; throws OperatorConfigError.
 * Exported so the CLI can report these as flag errors before it touches any file.
 */
export function resolveOperatorConfig(
  options: Pick<OperatorOptions, 'listen' | 'leaseMs' | 'successThreshold' | 'heartbeatIntervalMs' | 'lostAfterMs' | 'healthListen' | 'metricsListen' | 'leaderElection' | 'namespace'>,
): OperatorConfig {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const successThreshold = options.successThreshold ?? DEFAULT_SUCCESS_THRESHOLD;
  const lostAfterMs = options.lostAfterMs ?? DEFAULT_LOST_AFTER_MS;
  if (parseListen(options.listen) === undefined) throw new OperatorConfigError(`listen address must be host:port, got ${JSON.stringify(options.listen)}`);
  if (options.healthListen !== undefined && parseListen(options.healthListen) === undefined) {
    throw new OperatorConfigError(`health listen address must be host:port, got ${JSON.stringify(options.healthListen)}`);
  }
  if (options.metricsListen !== undefined && parseListen(options.metricsListen) === undefined) {
    throw new OperatorConfigError(`metrics listen address must be host:port, got ${JSON.stringify(options.metricsListen)}`);
  }
  if (options.leaderElection !== undefined) checkLeaderElection(options.leaderElection);
  if (options.namespace !== undefined && (!NAMESPACE.test(options.namespace) || options.namespace.length > 63)) {
    throw new OperatorConfigError(`namespace must be a DNS label, got ${JSON.stringify(options.namespace)}`);
  }
  if (!(heartbeatIntervalMs >= 100)) throw new OperatorConfigError(`heartbeat interval must be at least 100ms, got ${formatDuration(heartbeatIntervalMs)}`);
  // Two heartbeats must fit in a lease, or one delayed beat makes the site Unknown (kubelet: 10 s in 40 s).
  if (!(leaseMs >= 2 * heartbeatIntervalMs)) {
    throw new OperatorConfigError(`lease (${formatDuration(leaseMs)}) must be at least twice the heartbeat interval (${formatDuration(heartbeatIntervalMs)})`);
  }
  if (!Number.isInteger(successThreshold) || successThreshold < 1) {
    throw new OperatorConfigError(`success threshold must be a whole number of at least 1, got ${successThreshold}`);
  }
  if (lostAfterMs !== 0 && !(lostAfterMs > leaseMs)) {
    throw new OperatorConfigError(`lost-after (${formatDuration(lostAfterMs)}) must be longer than the lease (${formatDuration(leaseMs)}), or 0 to never declare a site lost`);
  }
  return { leaseMs, successThreshold, heartbeatIntervalMs, ...(lostAfterMs > 0 && { lostAfterMs }) };
}

function loadKubeConfig(source: KubeConfig | string): KubeConfig {
  if (typeof source !== 'string') return source;
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(source);
  } catch (err: unknown) {
    throw new OperatorConfigError(`cannot load kubeconfig ${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (kc.getCurrentCluster() === null) throw new OperatorConfigError(`kubeconfig ${source} names no current cluster`);
  return kc;
}
