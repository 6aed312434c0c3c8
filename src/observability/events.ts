// Kubernetes Events (events.k8s.io/v1) for important transitions of an object. Recording never fails
// a reconcile, repeats within a window are dropped, and notes pass the one redaction (src/redact.ts).
import { randomBytes } from 'node:crypto';
import { EventsV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import { errorFields } from '../errors.js';
import type { KubernetesObject as KubeObject } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { redact } from '../redact.js';

export const REPORTING_CONTROLLER = 'tenantshift.io/operator';

export interface EventInput {
  type: 'Normal' | 'Warning';
  /** CamelCase, e.g. LeaderElected, ReconcileFailed. */
  reason: string;
  /** What was done or attempted, CamelCase, e.g. Reconcile, Acquire. */
  action: string;
  /** Human-readable; redacted and truncated to the API's 1 kB. */
  note: string;
}

export interface EventRecorderOptions {
  kc: KubeConfig;
  identity: string;
  log: Logger;
  /** Identical events for one object within this window are recorded once. */
  dedupeWindowMs?: number;
}

const MAX_NOTE = 1024;
const MAX_REMEMBERED = 2048;

export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly recent = new Map<string, number>();

  constructor(private readonly opts: EventRecorderOptions) {
    this.api = opts.kc.makeApiClient(EventsV1Api);
  }

  /** Records an event about `regarding`; failures are logged, never thrown. */
  async record(regarding: KubeObject, input: EventInput): Promise<void> {
    const meta = regarding.metadata ?? {};
    const note = truncate(redact(input.note), MAX_NOTE);
    const dedupeKey = [meta.uid ?? `${meta.namespace}/${meta.name}`, input.type, input.reason, note].join('\u0000');
    const now = Date.now();
    const last = this.recent.get(dedupeKey);
    if (last !== undefined && now - last < (this.opts.dedupeWindowMs ?? 5 * 60_000)) return;
    this.remember(dedupeKey, now);
    const namespace = meta.namespace || 'default';
    try {
      await this.api.createNamespacedEvent({
        namespace,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: `${(meta.name ?? 'object').slice(0, 200)}.${now.toString(16)}${randomBytes(3).toString('hex')}`, namespace },
          eventTime: new V1MicroTime(now),
          type: input.type,
          reason: input.reason,
          action: input.action,
          note,
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.opts.identity.slice(0, 128),
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
            resourceVersion: meta.resourceVersion,
          },
        },
      });
    } catch (err) {
      this.opts.log.warn('Could not record event', { reason: input.reason, namespace, name: meta.name, ...errorFields(err) });
    }
  }

  private remember(key: string, at: number): void {
    if (this.recent.size >= MAX_REMEMBERED) {
      // Map iteration order is insertion order: drop the oldest half.
      for (const k of [...this.recent.keys()].slice(0, MAX_REMEMBERED / 2)) this.recent.delete(k);
    }
    this.recent.delete(key);
    this.recent.set(key, at);
  }
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}
