// Row-by-row validations of SchemaReplications, run beside the reconcile loop (a run can take
// minutes): started on request (annotation tenantshift.io/validate) or by spec.validationInterval,
// bounded per source by a shared load limiter, reported in status.validation, an Event and a
// ConfigMap with every difference.
import { CoreV1Api } from '@kubernetes/client-node';
import type { SchemaReplication, SchemaReplicationStatus } from '../api/index.js';
import { API_VERSION, parseDurationMs } from '../api/index.js';
import type { EventRecorder } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { ConnectionInfo } from '../postgres/connection.js';
import { replicationNames } from '../postgres/names.js';
import { LoadLimiter, renderDifference, statusSummary, validateSchemas } from '../postgres/validate.js';
import { errorFields, orAbsent } from '../errors.js';
import type { Informer } from '../runtime/informer.js';
import type { StatusWriter } from '../runtime/statusWriter.js';
import { SCHEMA_REPLICATIONS } from './kinds.js';
import { redact } from '../redact.js';

export const VALIDATE_ANNOTATION = 'tenantshift.io/validate';
type Validation = NonNullable<SchemaReplicationStatus['validation']>;

/** The last run's finish time in ms, or undefined when it never finished. */
function lastFinished(last: Validation | undefined): number | undefined {
  return last?.finishedAt ? Date.parse(last.finishedAt) : undefined;
}

/** After a switch, the full comparison runs again over the reverse replication, unasked. */
function dueAfterSwitch(obj: SchemaReplication, last: Validation | undefined): boolean {
  const since = obj.status?.targetServingSince;
  if (!since || last?.state === 'Running') return false;
  const finished = lastFinished(last);
  return finished === undefined || finished < Date.parse(since);
}

function dueBySchedule(obj: SchemaReplication, last: Validation | undefined, now: number): boolean {
  const every = obj.spec.validationInterval ? parseDurationMs(obj.spec.validationInterval) : 0;
  if (!(every > 0)) return false;
  const finished = lastFinished(last);
  return finished === undefined || now - finished >= every;
}

/** Whether a run is due: a new request token, or the schedule's interval passed since the last one. */
export function validationDue(obj: SchemaReplication, now: number): { due: boolean; token?: string } {
  const token = obj.metadata.annotations?.[VALIDATE_ANNOTATION];
  const last = obj.status?.validation;
  if (token && token !== last?.requestToken) return { due: true, token };
  if (dueAfterSwitch(obj, last) || dueBySchedule(obj, last, now)) {
    return { due: true, ...(last?.requestToken ? { token: last.requestToken } : {}) };
  }
  return { due: false };
}

export class ValidationRunner {
  private readonly running = new Set<string>();
  /** What this process last wrote per object: reconciles carry it, so a stale read never reverts it. */
  private readonly latest = new Map<string, Validation>();
  private readonly limiters = new Map<string, LoadLimiter>();

  constructor(
    private readonly deps: {
      core: CoreV1Api;
      status: StatusWriter;
      events: EventRecorder;
      replications: Informer<SchemaReplication>;
      log: Logger;
    },
  ) {}

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  current(key: string): Validation | undefined {
    return this.latest.get(key);
  }

  /** Starts a run in the background; returns at once. `targetServes` picks the reverse slot for live safety. */
  start(
    obj: SchemaReplication,
    token: string | undefined,
    endpoints: { source: ConnectionInfo; target: ConnectionInfo },
    targetServes: boolean,
  ): void {
    const ns = obj.metadata.namespace as string;
    const name = obj.metadata.name as string;
    const key = `${ns}/${name}`;
    if (this.running.has(key)) return;
    this.running.add(key);
    const sourceKey = `${endpoints.source.host}:${endpoints.source.port}`;
    let limiter = this.limiters.get(sourceKey);
    if (!limiter) {
      // One budget per source server, shared by every tenant on it: validation never starves production.
      limiter = new LoadLimiter({ rowsPerSecond: 500_000 });
      this.limiters.set(sourceKey, limiter);
    }
    const names = replicationNames(ns, name);
    const startedAt = new Date().toISOString();
    void (async () => {
      await this.write(key, { state: 'Running', startedAt, ...(token ? { requestToken: token } : {}) });
      try {
        const report = await validateSchemas({
          source: endpoints.source,
          target: endpoints.target,
          schemas: obj.spec.schemas,
          parallelism: 2,
          rateLimit: limiter,
          liveReplication: targetServes ? { slotName: names.reverseSlot, publisher: 'target' } : { slotName: names.slot },
        });
        const summary = statusSummary(report, 20);
        const configMap = await this.saveFullReport(obj, report.differences.map(renderDifference).join('\n'));
        const validation: Validation = {
          state: 'Done',
          ...(token ? { requestToken: token } : {}),
          result: summary.result,
          startedAt: summary.startedAt,
          finishedAt: summary.finishedAt,
          rowsCompared: summary.rows.source,
          ranges: summary.ranges,
          differences: summary.differences,
          tables: summary.tables
            .slice(0, 200)
            .map((t) => ({ table: t.table, rows: t.rows.source, ranges: t.ranges, mismatches: t.mismatches, differences: t.differences })),
          firstDifferences: summary.firstDifferences.slice(0, 20).map((d) => d.slice(0, 500)),
          ...(configMap ? { fullReport: configMap } : {}),
        };
        await this.write(key, validation);
        const latest = this.deps.replications.get(key);
        if (latest) {
          const ok = summary.result === 'identical';
          await this.deps.events.record(latest, {
            type: ok ? 'Normal' : 'Warning',
            reason: ok ? 'ValidationPassed' : 'ValidationFailed',
            action: 'Validate',
            note:
              `${summary.result}: ${summary.rows.source} rows in ${summary.tables.length} tables compared, ` +
              `${summary.differences} difference(s)${ok || !configMap ? '' : `; see ConfigMap ${configMap}`}`,
          });
        }
      } catch (err) {
        this.deps.log.warn('Validation could not compare', { key, ...errorFields(err) });
        await this.write(key, {
          state: 'Failed',
          startedAt,
          finishedAt: new Date().toISOString(),
          ...(token ? { requestToken: token } : {}),
          message: errorFields(err).error.slice(0, 1000),
        }).catch(() => undefined);
      } finally {
        this.running.delete(key);
      }
    })();
  }

  private async write(key: string, validation: Validation): Promise<void> {
    this.latest.set(key, validation);
    const latest = this.deps.replications.get(key);
    if (!latest) return;
    await this.deps.status.update({
      resource: SCHEMA_REPLICATIONS,
      object: latest,
      status: { ...(latest.status ?? {}), validation } as Record<string, unknown>,
    });
  }

  /**
   * Writes every difference to the ConfigMap `<name>-validation`, owned by the SchemaReplication.
   * One that exists and is not the replication's (no ownerReference to it, and not an earlier
   * version's unowned report) is someone else's: it is left alone, and an Event says so.
   * Returns the ConfigMap's name when written.
   */
  private async saveFullReport(obj: SchemaReplication, text: string): Promise<string | undefined> {
    const namespace = obj.metadata.namespace as string;
    const name = `${obj.metadata.name as string}-validation`;
    const existing = await orAbsent(this.deps.core.readNamespacedConfigMap({ namespace, name }));
    if (existing && !reportOwnedBy(existing.metadata, obj.metadata.uid)) {
      this.deps.log.warn("Validation report not written: the ConfigMap is not this SchemaReplication's", { namespace, configMap: name });
      await this.deps.events.record(obj, {
        type: 'Warning',
        reason: 'ValidationReportNotWritten',
        action: 'Validate',
        note:
          `ConfigMap ${name} exists and is not this SchemaReplication's (no ownerReference to it), so the full list of ` +
          'differences was not written; status.validation has the first ones. Rename or delete that ConfigMap.',
      });
      return undefined;
    }
    const body = {
      metadata: {
        name,
        namespace,
        labels: { [MANAGED_BY]: 'tenantshift' },
        ownerReferences: [
          { apiVersion: API_VERSION, kind: 'SchemaReplication', name: obj.metadata.name as string, uid: obj.metadata.uid as string },
        ],
        ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      data: { 'differences.txt': redact(text).slice(0, 900_000) },
    };
    if (existing) await this.deps.core.replaceNamespacedConfigMap({ namespace, name, body });
    else await this.deps.core.createNamespacedConfigMap({ namespace, body });
    return name;
  }
}

const MANAGED_BY = 'app.kubernetes.io/managed-by';

/** Whether a ConfigMap is the replication's report: owned by its uid, or an unowned one tenantshift wrote. */
export function reportOwnedBy(
  meta: { labels?: Record<string, string>; ownerReferences?: Array<{ uid: string }> } | undefined,
  uid: string | undefined,
): boolean {
  const owners = meta?.ownerReferences ?? [];
  if (owners.length > 0) return uid !== undefined && owners.some((o) => o.uid === uid);
  return meta?.labels?.[MANAGED_BY] === 'tenantshift';
}
