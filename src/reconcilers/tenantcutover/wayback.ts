// While the target serves, the way back carries the tenant's current tables: a table (or column) the
// application adds on the target is made on the source too, joins the reverse publication and is
// copied back, so the next move (a rollback) covers it. The same additive DDL, and the same switch
// (spec.applyAdditiveDDL), as the SchemaReplication applies forward; anything else is left to the
// TablesNotCovered precondition, which names it.
import { inventory } from '../../postgres/catalog.js';
import { addToPublication, refreshSubscription } from '../../postgres/replication.js';
import { pathState } from '../../postgres/reverse.js';
import { detectDrift, schemasOnBothSides } from '../schemareplication/plan.js';
import { applyAdditiveDrift } from '../schemareplication/steps.js';
import type { CutoverContext } from './context.js';
import type { World } from './observe.js';
import type { CutoverStatus } from './status.js';

/** Returns true when it changed the source (the caller's view of the tables is then stale). */
export async function carryServingTables(world: World, st: CutoverStatus, ctx: CutoverContext): Promise<boolean> {
  if (st.activeSide !== 'target' || st.status.step || st.status.completed || !world.replication.spec.applyAdditiveDDL) return false;
  const { source, target } = world.sides;
  // The cheap check first: without the way back flowing there is nothing to carry (its precondition reports it).
  if (!(await pathState(source.client, world.reverse)).enabled) return false;
  const schemas = world.replication.spec.schemas;
  const [onTarget, onSource] = await Promise.all([inventory(target.client, schemas), inventory(source.client, schemas)]);
  const drift = detectDrift(onTarget, onSource, schemasOnBothSides(schemas, onTarget, onSource));
  if (!drift.additive || (drift.newTables.length === 0 && drift.newColumns.length === 0)) return false;
  await applyAdditiveDrift({ source: target.client, target: source.client, sourceInfo: target.info, ...drift });
  // The application's grants on them follow at the rollback (prepareMove): the source stays fenced until then.
  const newTables = drift.newTables.filter((t) => !t.partitionOf && !t.unlogged);
  if (newTables.length > 0) {
    await addToPublication(target.client, world.reverse.publication, newTables);
    await refreshSubscription(source.client, world.reverse.subscription);
  }
  ctx.events.normal(
    'WayBackExtended',
    `Made on the source what the application added on the serving target, copied back by reverse replication: ` +
      drift.differences.join('; '),
  );
  return true;
}
