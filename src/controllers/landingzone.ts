// Kubernetes wiring of LandingZone: the finalizer lands before anything exists in AWS, Secrets are read
// and written through CoreV1Api, the domain reconciler's status is written back and its errors rethrown.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import type { LandingZone } from '../api/index.js';
import { landingZoneAws, type AwsClientSource } from '../aws/index.js';
import type { EventInput } from '../observability/events.js';
import { fromUnknown } from '../errors.js';
import { hasFinalizer, isBeingDeleted, type Finalizers } from '../runtime/finalizers.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../runtime/reconciler.js';
import type { KubeObject } from '../runtime/resources.js';
import { FIELD_MANAGER, type StatusWriter } from '../runtime/statusWriter.js';
import {
  finalizeLandingZone,
  reconcileLandingZone,
  type LandingZoneContext,
  type ObjectMemory,
  type Outcome,
} from '../reconcilers/landingzone/index.js';
import type {
  EndpointMapper,
  ManagedPasswordReader,
  SecretStore,
  SecretWrite,
  StoredSecret,
  TrustStore,
} from '../reconcilers/landingzone/secrets.js';
import type { Timings } from '../reconcilers/landingzone/types.js';
import { LANDING_ZONES } from './kinds.js';
import { readSecret } from './secrets.js';

export const LANDING_ZONE_FINALIZER = 'tenantshift.io/landingzone-cleanup';

export interface LandingZoneControllerDeps {
  core: CoreV1Api;
  status: StatusWriter;
  finalizers: Finalizers;
  events: { record(regarding: KubeObject, input: EventInput): Promise<void> };
  /** EC2 and RDS clients per region (AwsClientFactory in production). */
  aws: AwsClientSource;
  /** RDS endpoint → what clients connect to; RDS's own endpoint when unset. */
  endpoints?: EndpointMapper;
  /** The RDS CA bundle for sslrootcert; without it the connection Secret says sslmode=require. */
  trustStore?: TrustStore;
  /** Reads AWS-managed master passwords (spec.database.masterPassword: aws). */
  managedPasswords?: ManagedPasswordReader;
  timings?: Partial<Timings>;
  now?: () => Date;
}

export class LandingZoneReconciler implements Reconciler<LandingZone> {
  // Per-object memory by uid (storage refusals, last converged generation): this reconciler's, not the module's.
  private readonly memory = new Map<string, ObjectMemory>();

  constructor(private readonly deps: LandingZoneControllerDeps) {}

  async reconcile(ctx: ReconcileContext<LandingZone>): Promise<ReconcileResult> {
    let obj = ctx.object;
    let outcome: Outcome;
    if (isBeingDeleted(obj)) {
      if (!hasFinalizer(obj, LANDING_ZONE_FINALIZER)) return {};
      outcome = await finalizeLandingZone(obj, this.domainContext(obj));
      if (outcome.finalizerDone) {
        await this.deps.finalizers.remove(LANDING_ZONES, obj, LANDING_ZONE_FINALIZER);
        this.memory.delete(obj.metadata.uid ?? '');
        ctx.log.info('Released the finalizer', { deletionPolicy: obj.spec.deletionPolicy ?? 'Retain' });
        return {};
      }
    } else {
      // Before the first AWS create: a deletion can never skip cleanup.
      obj = await this.deps.finalizers.add(LANDING_ZONES, obj, LANDING_ZONE_FINALIZER);
      outcome = await reconcileLandingZone(obj, this.domainContext(obj));
    }
    const { written } = await this.deps.status.update({
      resource: LANDING_ZONES,
      object: obj,
      status: outcome.status as Record<string, unknown>,
    });
    if (outcome.action) ctx.log.info('Applied step', { step: outcome.action, failed: outcome.error !== undefined });
    if (written) ctx.log.debug('Status updated', { databaseStatus: outcome.status.database?.status });
    if (outcome.error) throw outcome.error;
    return outcome.requeueAfterMs === undefined ? {} : { requeueAfterMs: outcome.requeueAfterMs };
  }

  private domainContext(obj: LandingZone): LandingZoneContext {
    const record =
      (type: 'Normal' | 'Warning') =>
      (reason: string, note: string): void => {
        void this.deps.events.record(obj, { type, reason, action: 'Reconcile', note });
      };
    const uid = obj.metadata.uid ?? '';
    let memory = this.memory.get(uid);
    if (!memory) this.memory.set(uid, (memory = {}));
    const { endpoints, trustStore, managedPasswords, timings } = this.deps;
    return {
      aws: landingZoneAws(this.deps.aws.forRegion(obj.spec.region)),
      secrets: new KubeSecretStore(this.deps.core, obj.metadata.namespace ?? ''),
      events: { normal: record('Normal'), warning: record('Warning') },
      memory,
      now: this.deps.now ?? (() => new Date()),
      ...(endpoints ? { endpoints } : {}),
      ...(trustStore ? { trustStore } : {}),
      ...(managedPasswords ? { managedPasswords } : {}),
      ...(timings ? { timings } : {}),
    };
  }
}

const decode = (v: string): string => Buffer.from(v, 'base64').toString('utf8');
const encode = (v: string): string => Buffer.from(v, 'utf8').toString('base64');

/** The LandingZone's Secrets through CoreV1Api, in its namespace. */
export class KubeSecretStore implements SecretStore {
  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
  ) {}

  async read(name: string): Promise<StoredSecret | undefined> {
    const s = await this.readRaw(name);
    if (!s) return undefined;
    return {
      data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, decode(v)])),
      labels: { ...(s.metadata?.labels ?? {}) },
      annotations: { ...(s.metadata?.annotations ?? {}) },
    };
  }

  async create(secret: SecretWrite): Promise<void> {
    try {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body: this.body(secret), fieldManager: FIELD_MANAGER });
    } catch (err) {
      throw fromUnknown(err);
    }
  }

  async write(secret: SecretWrite): Promise<void> {
    const current = await this.readRaw(secret.name);
    const body = this.body(secret);
    try {
      if (!current) {
        await this.core.createNamespacedSecret({ namespace: this.namespace, body, fieldManager: FIELD_MANAGER });
        return;
      }
      // The resourceVersion makes the replace conditional: a concurrent change is re-read next pass.
      body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
      await this.core.replaceNamespacedSecret({ namespace: this.namespace, name: secret.name, body, fieldManager: FIELD_MANAGER });
    } catch (err) {
      throw fromUnknown(err);
    }
  }

  async annotate(name: string, annotations: Record<string, string>): Promise<void> {
    try {
      await this.core.patchNamespacedSecret(
        { namespace: this.namespace, name, body: { metadata: { annotations } }, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw fromUnknown(err);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ namespace: this.namespace, name });
    } catch (err) {
      if (fromUnknown(err).code !== 'not-found') throw fromUnknown(err);
    }
  }

  private async readRaw(name: string): Promise<V1Secret | undefined> {
    return readSecret(this.core, this.namespace, name);
  }

  private body(secret: SecretWrite): V1Secret {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: secret.name,
        namespace: this.namespace,
        labels: secret.labels,
        annotations: secret.annotations,
        ...(secret.ownedBy ? { ownerReferences: [{ ...secret.ownedBy, controller: true }] } : {}),
      },
      data: Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, encode(v)])),
    };
  }
}
