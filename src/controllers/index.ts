// Registers one controller per tenantshift kind with the manager. Until each kind's reconciler lands,
// the placeholder ObservingReconciler stands in; swapping it is a one-line change here.
import type { Manager } from '../runtime/manager.js';
import { ALL_KINDS } from './kinds.js';
import { ObservingReconciler } from './observe.js';

export function registerControllers(manager: Manager): void {
  for (const resource of ALL_KINDS) {
    manager.addController({
      name: resource.kind.toLowerCase(),
      resource,
      reconciler: new ObservingReconciler({ resource, status: manager.status, events: manager.events }),
    });
  }
}
