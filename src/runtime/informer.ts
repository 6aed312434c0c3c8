// A self-healing informer: list+watch per watched namespace into one cache, restarted with backoff on
// any failure, relisted on 410 or when the watch goes silent, and resynced periodically with jitter.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { jitter, sleep } from '../clock.js';
import { OperatorError, codeForHttpStatus, errorFields } from '../errors.js';
import { getJson } from './kubeRequest.js';
import { KeyedBackoff } from './ratelimit.js';
import { apiVersionOf, collectionPath, describeResource, objectKey, type KubeObject, type ResourceType } from './resources.js';

/** Called when anything about `key` may have changed; `object` is undefined once it is gone. */
export type ChangeHandler<T> = (key: string, object: T | undefined) => void;

export type RestartReason = 'gone' | 'stalled' | 'error';

export interface InformerOptions {
  kc: KubeConfig;
  resource: ResourceType;
  log: Logger;
  /** Namespaces to watch, one watch each; empty or undefined watches all namespaces. */
  namespaces?: string[];
  labelSelector?: string;
  /** Every cached key is handed to the handlers again this often (with up to 10 % jitter); 0 disables. */
  resyncPeriodMs?: number;
  /** A watch that delivers neither an event nor a bookmark for this long is presumed dead and relisted. */
  watchStallTimeoutMs?: number;
  /** Server-side watch timeout range in seconds: watches end and restart from the last resourceVersion. */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Backoff between failed list/watch attempts. */
  retryBackoff?: { baseMs?: number; maxMs?: number };
  onRestart?(reason: RestartReason): void;
}

type WatchOutcome = {
  kind: 'closed' | 'gone' | 'stalled' | 'error' | 'stopped';
  resourceVersion: string;
  events: number;
  error?: unknown;
};

type ScopeFailure = { reason: RestartReason; error?: unknown };

/** Why the informer relists after a watch that ended neither stopped nor as a healthy timeout. */
function watchFailure(outcome: WatchOutcome): ScopeFailure {
  if (outcome.kind === 'gone') return { reason: 'gone' };
  if (outcome.kind === 'stalled') return { reason: 'stalled' };
  return { reason: 'error', error: outcome.error ?? new OperatorError('transient', 'Watch closed at once') };
}

function logRetry(log: Logger, failure: ScopeFailure, delayMs: number): void {
  if (failure.reason === 'gone') log.warn('Watch expired again; relisting after a pause', { delayMs });
  else if (failure.reason === 'stalled') log.warn('Watch silent for too long; relisting', { delayMs });
  else log.warn('List or watch failed; retrying', { ...errorFields(failure.error), delayMs });
}

/** The error an ERROR watch event carries; undefined for 410 (the resourceVersion is gone). */
function watchEventError(obj: unknown): OperatorError | undefined {
  const status = obj as { code?: number; reason?: string; message?: string };
  if (status.code === 410) return undefined;
  const code = codeForHttpStatus(status.code ?? 500);
  return new OperatorError(code, `Watch error: ${status.message ?? status.reason ?? 'unknown'}`, {
    ...(status.code !== undefined ? { httpStatus: status.code } : {}),
    ...(status.reason ? { reason: status.reason } : {}),
  });
}

interface ListBody<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** A watch that ends sooner than this without events counts as a failure (avoids a hot reconnect loop). */
const MIN_HEALTHY_WATCH_MS = 1_000;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: ChangeHandler<T>[] = [];
  private readonly scopes: string[];
  private readonly synced = new Set<string>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;
  private readonly what: string;

  constructor(private readonly opts: InformerOptions) {
    this.scopes = opts.namespaces && opts.namespaces.length > 0 ? [...new Set(opts.namespaces)] : [''];
    this.what = describeResource(opts.resource);
  }

  get resource(): ResourceType {
    return this.opts.resource;
  }

  addHandler(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  /** The cached object of `key` ("namespace/name"); treat it as read-only. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.store.keys()];
  }

  /** True once every watched namespace has been listed at least once; stays true across restarts. */
  hasSynced(): boolean {
    return this.synced.size === this.scopes.length;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.loops = this.scopes.map((scope) => this.runScope(scope));
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    await Promise.all(this.loops);
  }

  /** Hands every cached key to the handlers, as if each had changed. */
  resync(): void {
    for (const [key, obj] of this.store) this.notify(key, obj);
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 60_000;
    if (period <= 0 || this.abort.signal.aborted) return;
    this.resyncTimer = setTimeout(
      () => {
        if (this.hasSynced()) this.resync();
        this.scheduleResync();
      },
      jitter(period, 0.1),
    );
  }

  /** One namespace (or all): list, then watch from the list's resourceVersion, for as long as the informer runs. */
  private async runScope(scope: string): Promise<void> {
    const backoff = this.newScopeBackoff();
    const log = this.opts.log.child({ resource: this.what, namespace: scope || '*' });
    // A 410 is normal once in a while (relist at once); 410 after 410 means something is off: back off.
    const gone = { inARow: 0 };
    while (!this.abort.signal.aborted) {
      let failure: ScopeFailure | undefined;
      try {
        failure = await this.listThenWatch(scope, backoff, log, gone);
      } catch (err) {
        failure = { reason: 'error', error: err };
      }
      if (failure === undefined) return;
      if (this.abort.signal.aborted) return;
      this.opts.onRestart?.(failure.reason);
      if (failure.reason === 'gone' && gone.inARow++ === 0) {
        // The resourceVersion is too old: relisting at once is the expected recovery.
        log.info('Watch expired; relisting');
        continue;
      }
      const delayMs = backoff.next(scope);
      logRetry(log, failure, delayMs);
      await sleep(delayMs, this.abort.signal);
    }
  }

  private newScopeBackoff(): KeyedBackoff {
    const retry = this.opts.retryBackoff;
    return new KeyedBackoff({ baseMs: retry?.baseMs ?? 500, maxMs: retry?.maxMs ?? 30_000 });
  }

  /** Relists, then watches until a watch fails (its failure) or the informer stops (undefined). */
  private async listThenWatch(
    scope: string,
    backoff: KeyedBackoff,
    log: Logger,
    gone: { inARow: number },
  ): Promise<ScopeFailure | undefined> {
    let rv = await this.relist(scope);
    this.markSynced(scope, backoff, log);
    for (;;) {
      const started = Date.now();
      const outcome = await this.watchOnce(scope, rv);
      rv = outcome.resourceVersion;
      if (outcome.events > 0 || Date.now() - started > 10 * MIN_HEALTHY_WATCH_MS) {
        backoff.forget(scope);
        gone.inARow = 0;
      }
      if (outcome.kind === 'stopped') return undefined;
      // A server-side timeout: carry on from the last resourceVersion without relisting.
      if (outcome.kind === 'closed' && (outcome.events > 0 || Date.now() - started >= MIN_HEALTHY_WATCH_MS)) continue;
      return watchFailure(outcome);
    }
  }

  private markSynced(scope: string, backoff: KeyedBackoff, log: Logger): void {
    const objects = this.list(scope || undefined).length;
    if (!this.synced.has(scope)) log.info('Informer synced', { objects });
    else if (backoff.retries(scope) > 0) log.info('Informer recovered; relisted', { objects, failures: backoff.retries(scope) });
    this.synced.add(scope);
  }

  /** Lists the scope page by page and replaces its part of the cache; returns the list's resourceVersion. */
  private async relist(scope: string): Promise<string> {
    const path = collectionPath(this.opts.resource, scope || undefined);
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await getJson<ListBody<T>>(
        this.opts.kc,
        path,
        { limit: 500, continue: cont, labelSelector: this.opts.labelSelector },
        { signal: this.abort.signal },
      );
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (cont && !this.abort.signal.aborted);
    const seen = new Set<string>();
    for (const item of items) {
      // List items of built-in kinds carry no apiVersion/kind; watch events do. Keep the cache uniform.
      const obj = { apiVersion: apiVersionOf(this.opts.resource), kind: this.opts.resource.kind, ...item } as T;
      seen.add(objectKey(obj));
      this.upsert(obj);
    }
    for (const [key, obj] of [...this.store]) {
      if (seen.has(key) || (scope && obj.metadata?.namespace !== scope)) continue;
      this.store.delete(key);
      this.notify(key, undefined);
    }
    return rv;
  }

  /** One watch request; resolves (never rejects) when it ends, fails, goes silent or the informer stops. */
  private watchOnce(scope: string, resourceVersion: string): Promise<WatchOutcome> {
    const stallMs = this.opts.watchStallTimeoutMs ?? 150_000;
    const range = this.opts.watchTimeoutSeconds ?? { min: 300, max: 600 };
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let rv = resourceVersion;
      let events = 0;
      let lastActivity = Date.now();
      let controller: AbortController | undefined;
      const finish = (kind: WatchOutcome['kind'], error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        this.abort.signal.removeEventListener('abort', onStop);
        controller?.abort();
        resolve({ kind, resourceVersion: rv, events, ...(error !== undefined ? { error } : {}) });
      };
      const onStop = (): void => finish('stopped');
      this.abort.signal.addEventListener('abort', onStop);
      // Also covers a request whose response never starts: the Watch hands out its controller only after headers.
      const watchdog = setInterval(
        () => {
          if (Date.now() - lastActivity > stallMs) finish('stalled');
        },
        Math.max(50, Math.min(stallMs / 4, 5_000)),
      );
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(range.min + Math.random() * Math.max(0, range.max - range.min)),
        labelSelector: this.opts.labelSelector,
      };
      const onEvent = (type: string, obj: unknown): void => {
        if (settled) return;
        lastActivity = Date.now();
        if (type !== 'ERROR') events++;
        const o = obj as T;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            this.upsert(o);
            break;
          case 'DELETED':
            this.remove(o);
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR': {
            const error = watchEventError(obj);
            return error ? finish('error', error) : finish('gone');
          }
          default:
            return;
        }
        const next = o.metadata?.resourceVersion;
        if (next) rv = next;
      };
      const onDone = (err: unknown): void => {
        if ((err as { statusCode?: number } | null)?.statusCode === 410) return finish('gone');
        finish(err ? 'error' : 'closed', err ?? undefined);
      };
      new Watch(this.opts.kc).watch(collectionPath(this.opts.resource, scope || undefined), query, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (err: unknown) => finish('error', err),
      );
    });
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const prev = this.store.get(key);
    this.store.set(key, obj);
    // resourceVersion is opaque: compared for equality only.
    if (!prev || prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.notify(key, obj);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    this.store.delete(key);
    this.notify(key, undefined);
  }

  private notify(key: string, obj: T | undefined): void {
    for (const h of this.handlers) {
      try {
        h(key, obj);
      } catch (err) {
        this.opts.log.error('Informer handler failed', { resource: this.what, key, ...errorFields(err) });
      }
    }
  }
}
