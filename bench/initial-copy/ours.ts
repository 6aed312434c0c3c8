// bench/initial-copy, ours: SchemaReplication objects driven through the reconciler until Ready with post-data applied.
import type { SchemaReplication } from '../../src/api/index.js';
import { directReplication } from '../../test/support/direct.js';
import { cleanupSchemaReplication } from '../../src/reconcilers/schemareplication/cleanup.js';
import { reconcileSchemaReplication, type Outcome, type ReconcileContext } from '../../src/reconcilers/schemareplication/index.js';

export interface ObjectTimes {
  name: string;
  /** Seconds from the start: schema DDL copied and subscription created (end of the first pass). */
  subscribed: number;
  /** Start of the pass that found every table ready and applied post-data. */
  tablesReady: number;
  /** Duration of that pass (post-data plus one observation). */
  postData: number;
  ready: number;
  passes: number;
  /** Reconciles that threw and were retried. */
  errors: string[];
}

export { directContext as context } from '../../test/support/direct.js';

export function object(namespace: string, name: string, schemas: string[]): SchemaReplication {
  return directReplication(namespace, name, schemas);
}

const done = (obj: SchemaReplication, o: Outcome): boolean =>
  (o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false) &&
  obj.spec.schemas.every((s) => o.status.postDataSchemas?.includes(s));

/** Reconciles one object every `pollMs` (status carried over) until done; times its milestones. */
async function converge(
  obj: SchemaReplication,
  ctx: ReconcileContext,
  started: bigint,
  pollMs: number,
  deadline: number,
  abort: { stop: boolean },
): Promise<ObjectTimes> {
  const since = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const times: ObjectTimes = {
    name: obj.metadata.name as string,
    subscribed: NaN,
    tablesReady: NaN,
    postData: NaN,
    ready: NaN,
    passes: 0,
    errors: [],
  };
  let failures = 0;
  for (;;) {
    if (abort.stop) throw new Error(`${times.name}: stopped, another object failed`);
    const passStart = since();
    const before = obj.status?.postDataSchemas?.length ?? 0;
    let o: Outcome;
    try {
      o = await reconcileSchemaReplication(obj, ctx);
    } catch (err) {
      // The operator retries a failed reconcile with backoff; so do we, a few times in a row.
      times.errors.push(`${since().toFixed(2)} s: ${(err as Error).message}`);
      if (++failures > 5) throw err;
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    failures = 0;
    obj.status = o.status;
    times.passes += 1;
    if (Number.isNaN(times.subscribed) && o.status.subscriptionOid !== undefined) times.subscribed = since();
    if ((o.status.postDataSchemas?.length ?? 0) > before) {
      times.tablesReady = passStart;
      times.postData = since() - passStart;
    }
    if (done(obj, o)) {
      times.ready = since();
      return times;
    }
    const ready = o.status.conditions?.find((c) => c.type === 'Ready');
    if (o.status.phase === 'Blocked') throw new Error(`${times.name} is blocked: ${ready?.reason}: ${ready?.message}`);
    if (Date.now() > deadline)
      throw new Error(`${times.name} not ready in time: phase ${o.status.phase}, ${ready?.reason}: ${ready?.message}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** All objects reconciled concurrently (as the operator would); wall time until the last is done. */
export async function initialCopy(
  objects: SchemaReplication[],
  ctx: ReconcileContext,
  pollMs: number,
  timeoutMs: number,
): Promise<{ seconds: number; objects: ObjectTimes[] }> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + timeoutMs;
  // allSettled: no reconcile may still be running when cleanup starts.
  const abort: { stop: boolean; first?: unknown } = { stop: false };
  const run = (o: SchemaReplication): Promise<ObjectTimes> =>
    converge(o, ctx, started, pollMs, deadline, abort).catch((err: unknown) => {
      if (!abort.stop) abort.first = err;
      abort.stop = true;
      throw err;
    });
  const settled = await Promise.allSettled(objects.map(run));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (abort.stop) throw abort.first;
  return { seconds, objects: settled.map((r) => (r as PromiseFulfilledResult<ObjectTimes>).value) };
}

/** Deletion as the operator runs it (deletionPolicy Retain): subscription, slots, publication. */
export async function cleanup(objects: SchemaReplication[], ctx: ReconcileContext): Promise<void> {
  for (const obj of objects) {
    for (let i = 0; i < 30; i++) {
      const o = await cleanupSchemaReplication(obj, ctx);
      obj.status = o.status;
      if (o.finalizerDone) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
