// Leader election on a coordination.k8s.io/v1 Lease: acquire, renew every retry period, step down
// when renewal fails past the renew deadline, release on shutdown so a standby takes over at once.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { jitter, sleep } from '../clock.js';
import { OperatorError, errorFields, fromUnknown } from '../errors.js';

export interface LeaderElectionOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid after its last renewal, as seen by the others. */
  leaseDurationMs: number;
  /** A leader that could not renew for this long stops leading. Must be < leaseDurationMs. */
  renewDeadlineMs: number;
  /** Pause between attempts to acquire or renew. */
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private leading = false;
  /**
   * The last lease record seen and when (by our clock) it last changed. Expiry is judged from this,
   * not from the record's renewTime, so clock skew between replicas does not matter.
   */
  private observed: { resourceVersion: string; at: number } | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {
    if (!(opts.renewDeadlineMs < opts.leaseDurationMs)) throw new RangeError('renew deadline must be shorter than the lease duration');
    if (!(opts.retryPeriodMs < opts.renewDeadlineMs)) throw new RangeError('retry period must be shorter than the renew deadline');
    this.api = opts.kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  run(): void {
    this.loop ??= this.campaign().catch((err: unknown) => {
      // Not expected (every step catches); log and stop leading rather than crash half-way.
      this.opts.log.error('Leader election loop failed', errorFields(err));
      this.stepDown();
    });
  }

  /** Stops campaigning and renewing (without calling onStoppedLeading); then release() if needed. */
  async stop(): Promise<void> {
    this.abort.abort();
    // An attempt in flight ends within its own timeout; do not let a hung API server hold shutdown longer.
    await Promise.race([this.loop, sleep(Math.min(this.opts.renewDeadlineMs, 3_000))]);
  }

  /**
   * Stops, then gives the lease up if this identity holds it: holderIdentity cleared and a 1 s
   * duration, so a standby acquires it on its next try instead of waiting for expiry.
   */
  async release(timeoutMs = 5_000): Promise<boolean> {
    await this.stop();
    this.leading = false;
    try {
      return await withTimeout(this.releaseLease(), timeoutMs);
    } catch (err) {
      this.opts.log.warn('Could not release the leader lease', errorFields(err));
      return false;
    }
  }

  private async releaseLease(): Promise<boolean> {
    const { name, namespace, identity } = this.opts;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return false;
    const now = new V1MicroTime();
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        metadata: leaseMeta(lease),
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      },
    });
    this.opts.log.info('Leader lease released', { lease: `${namespace}/${name}` });
    return true;
  }

  private async campaign(): Promise<void> {
    const { log, retryPeriodMs, renewDeadlineMs } = this.opts;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (!(await this.attempt(Math.max(retryPeriodMs, 1_000)))) {
        await sleep(jitter(retryPeriodMs, 0.2), signal);
        continue;
      }
      this.leading = true;
      log.info('Became leader', { lease: `${this.opts.namespace}/${this.opts.name}` });
      this.opts.onStartedLeading();
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await sleep(retryPeriodMs, signal);
        if (signal.aborted) return;
        const left = renewDeadlineMs - (Date.now() - lastRenew);
        if (left > 0 && (await this.attempt(left))) {
          lastRenew = Date.now();
          continue;
        }
        if (Date.now() - lastRenew >= renewDeadlineMs || !this.heldByMe()) {
          log.warn('Lost leadership: lease not renewed within the renew deadline', { renewDeadlineMs });
          this.stepDown();
          break;
        }
      }
    }
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.opts.onStoppedLeading();
  }

  /** Whether the last record we saw still names us (a renewal that found another holder does not). */
  private lastHolder: string | undefined;
  private heldByMe(): boolean {
    return this.lastHolder === this.opts.identity;
  }

  /** One try to acquire or renew, bounded by `timeoutMs`; false on any failure (logged at debug). */
  private async attempt(timeoutMs: number): Promise<boolean> {
    try {
      return await withTimeout(this.tryAcquireOrRenew(), timeoutMs);
    } catch (err) {
      const e = fromUnknown(err);
      if (e.code !== 'conflict') this.opts.log.debug('Lease acquire or renew failed', e.toLogFields());
      return false;
    }
  }

  private async createLease(leaseDurationSeconds: number, now: number): Promise<void> {
    const { name, namespace, identity } = this.opts;
    const created = await this.api.createNamespacedLease({
      namespace,
      body: {
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
          leaseTransitions: 0,
        },
      },
    });
    this.see(created, Date.now());
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationMs } = this.opts;
    const leaseDurationSeconds = Math.max(1, Math.round(leaseDurationMs / 1000));
    const now = Date.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (fromUnknown(err).code !== 'not-found') throw err;
      await this.createLease(leaseDurationSeconds, now);
      return true;
    }
    this.see(lease, now);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const mine = holder === identity;
    const validForMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    // Held by someone else and renewed within its duration (by our clock): wait. An empty holder is free;
    // our own identity (a restart of this replica) takes its lease back at once.
    if (holder && !mine && this.observed && now < this.observed.at + validForMs) return false;
    const replaced = await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        metadata: leaseMeta(lease),
        spec: takenSpec(spec, identity, leaseDurationSeconds, now, mine),
      },
    });
    this.see(replaced, Date.now());
    if (!mine) this.opts.log.info('Acquired the leader lease', { lease: `${namespace}/${name}`, previousHolder: holder || undefined });
    return true;
  }

  private see(lease: V1Lease, at: number): void {
    this.lastHolder = lease.spec?.holderIdentity;
    const rv = lease.metadata?.resourceVersion ?? '';
    // resourceVersion is opaque: only "changed or not" is meaningful.
    if (this.observed?.resourceVersion !== rv) this.observed = { resourceVersion: rv, at };
  }
}

/** The metadata to send back on replace: the read's resourceVersion guards it; managedFields are the server's. */
function leaseMeta(lease: V1Lease): V1Lease['metadata'] {
  const meta = { ...lease.metadata };
  delete meta.managedFields;
  return meta;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new OperatorError('transient', `Lease request timed out after ${Math.round(ms)} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** The spec a replace writes: renewed by `identity`, and a transition counted when it was someone else's. */
function takenSpec(
  spec: NonNullable<V1Lease['spec']>,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
  mine: boolean,
): NonNullable<V1Lease['spec']> {
  const transitions = spec.leaseTransitions ?? 0;
  return {
    ...spec,
    holderIdentity: identity,
    leaseDurationSeconds,
    renewTime: new V1MicroTime(now),
    acquireTime: mine && spec.acquireTime ? spec.acquireTime : new V1MicroTime(now),
    leaseTransitions: mine ? transitions : transitions + 1,
  };
}
