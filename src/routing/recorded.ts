// What the route agent's dead-man reads when a pause outlives its deadline: the route the
// TenantCutover recorded, within a bound well inside the 250 ms the operator's budget leaves, so a
// paused client is released in time even with the API server down or slow.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { RoutedRoute } from './protocol.js';
import { routeProblem } from '../api/routecheck.js';

/** Well inside the 250 ms margin between `maxWritePause` and a client's promised release. */
export const RECORDED_ROUTE_READ_MS = 150;

export class ReadTimeout extends Error {
  override name = 'ReadTimeout';
}

export async function readRecordedRoute(
  kc: KubeConfig,
  owner: { namespace: string; name: string },
  timeoutMs = RECORDED_ROUTE_READ_MS,
): Promise<RoutedRoute | undefined> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const read = api.getNamespacedCustomObject({ group: 'tenantshift.io', version: 'v1alpha1', plural: 'tenantcutovers', ...owner });
  const obj = (await bounded(read, timeoutMs)) as { status?: { route?: RoutedRoute } };
  const route = obj.status?.route;
  const problem = route === undefined ? undefined : routeProblem(route, 'status.route');
  if (problem) throw new Error(`the recorded route of TenantCutover ${owner.namespace}/${owner.name} is refused: ${problem}`);
  return route;
}

/** `work`'s answer, or ReadTimeout after `timeoutMs` (the request may go on; its answer no longer matters). */
export async function bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeout(`the API server did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
