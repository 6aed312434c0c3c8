// The manager wires the runtime together: shared informers, controllers, the leader lease, the health
// server, and the shutdown order (stop work, release the lease, stop watching, close the port).
import type { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder } from '../observability/events.js';
import { startHealthServer, type HealthServer } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import type { OperatorMetrics } from '../observability/metrics.js';
import { sleep } from '../clock.js';
import type { OperatorConfig } from './config.js';
import { Controller } from './controller.js';
import { Finalizers } from './finalizers.js';
import { Informer } from './informer.js';
import { LeaderElector } from './leaderelection.js';
import type { Reconciler } from './reconciler.js';
import { describeResource, type KubeObject, type ResourceType } from './resources.js';
import { StatusWriter } from './statusWriter.js';

export interface ManagerOptions {
  kc: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  metrics: OperatorMetrics;
}

export interface ControllerSpec<T extends KubeObject> {
  name: string;
  resource: ResourceType;
  reconciler: Reconciler<T>;
  workers?: number;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly kc: KubeConfig;
  readonly config: OperatorConfig;
  readonly log: Logger;
  readonly metrics: OperatorMetrics;
  readonly events: EventRecorder;
  readonly status: StatusWriter;
  readonly finalizers: Finalizers;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller<KubeObject>[] = [];
  private readonly elector: LeaderElector;
  private health: HealthServer | undefined;
  private state: State = 'new';

  constructor(opts: ManagerOptions) {
    this.kc = opts.kc;
    this.config = opts.config;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.events = new EventRecorder({ kc: opts.kc, identity: opts.config.identity, log: opts.log });
    this.status = new StatusWriter(opts.kc);
    this.finalizers = new Finalizers(opts.kc);
    const { lease } = opts.config;
    this.elector = new LeaderElector({
      kc: opts.kc,
      namespace: lease.namespace,
      name: lease.name,
      identity: opts.config.identity,
      leaseDurationMs: lease.durationMs,
      renewDeadlineMs: lease.renewDeadlineMs,
      retryPeriodMs: lease.retryPeriodMs,
      log: opts.log,
      onStartedLeading: () => this.startedLeading(),
      onStoppedLeading: () => this.stoppedLeading(),
    });
  }

  /** The shared informer of a resource type (one list+watch however many controllers read it). */
  informer<T extends KubeObject>(resource: ResourceType): Informer<T> {
    const id = describeResource(resource);
    let inf = this.informers.get(id);
    if (!inf) {
      const restarts = this.metrics.informerRestarts;
      inf = new Informer<KubeObject>({
        kc: this.kc,
        resource,
        log: this.log,
        namespaces: this.config.namespaces,
        resyncPeriodMs: this.config.resyncPeriodMs,
        onRestart: (reason) => restarts.inc({ resource: id, reason }),
      });
      this.informers.set(id, inf);
      if (this.state === 'running') inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  addController<T extends KubeObject>(spec: ControllerSpec<T>): Controller<T> {
    const c = new Controller<T>({
      name: spec.name,
      informer: this.informer<T>(spec.resource),
      reconciler: spec.reconciler,
      log: this.log,
      metrics: this.metrics,
      workers: spec.workers ?? this.config.workers,
    });
    this.controllers.push(c as unknown as Controller<KubeObject>);
    return c;
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Ready: caches synced and, when leading, every controller's workers running. A synced standby is ready. */
  isReady(): boolean {
    if (this.state !== 'running' || !this.hasSynced()) return false;
    return !this.elector.isLeader || this.controllers.every((c) => c.running);
  }

  /** Starts serving health, watching and campaigning; returns once the health port listens. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('Manager already started');
    this.health = await startHealthServer({
      port: this.config.health.port,
      host: this.config.health.host,
      registry: this.metrics.registry,
      checks: { live: () => this.state !== 'stopped', ready: () => this.isReady() },
    });
    this.state = 'running';
    for (const inf of this.informers.values()) inf.start();
    this.elector.run();
    this.log.info('Operator started', {
      identity: this.config.identity,
      namespaces: this.config.namespaces.length > 0 ? this.config.namespaces : 'all',
      healthPort: this.health.port,
      lease: `${this.config.lease.namespace}/${this.config.lease.name}`,
    });
  }

  get healthPort(): number | undefined {
    return this.health?.port;
  }

  /** Stops taking work, gives in-flight reconciles the grace period, releases the lease, stops. */
  async shutdown(graceMs = this.config.shutdownGraceMs): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    const drained = await Promise.all(this.controllers.map((c) => c.shutdown(graceMs)));
    this.metrics.leader.set(0);
    // Only after our reconciles ended (or were abandoned) may a standby start its own.
    const released = await this.elector.release();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.state = 'stopped';
    await this.health?.close();
    this.log.info('Operator stopped', { drained: drained.every(Boolean), leaseReleased: released });
  }

  private startedLeading(): void {
    this.metrics.leader.set(1);
    void this.recordLeaseEvent('LeaderElected', `${this.config.identity} became leader`);
    void this.startWorkersWhenSynced();
  }

  private stoppedLeading(): void {
    this.metrics.leader.set(0);
    void this.recordLeaseEvent('LeaderLost', `${this.config.identity} stopped leading`);
    void Promise.all(this.controllers.map((c) => c.stopWorkers(this.config.shutdownGraceMs)));
  }

  /** Reconcilers may read other kinds' caches: they start only once every cache is complete. */
  private async startWorkersWhenSynced(): Promise<void> {
    while (this.state === 'running' && this.elector.isLeader && !this.hasSynced()) await sleep(100);
    if (this.state !== 'running' || !this.elector.isLeader) return;
    for (const c of this.controllers) c.startWorkers();
  }

  private recordLeaseEvent(reason: string, note: string): Promise<void> {
    const { name, namespace } = this.config.lease;
    return this.events.record(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace } },
      { type: 'Normal', reason, action: 'LeaderElection', note },
    );
  }
}
