// Whether Argo CD manages an object, and the change to commit instead of a live edit: Argo CD's
// self-heal would revert a spec edited in the cluster, so for its objects Git is the only way in.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

export interface ArgoManagement {
  /** The Argo CD Application that owns the object, when it can be told. */
  application?: string;
  /** What gave it away, for the message. */
  evidence: string;
}

/**
 * Argo CD marks what it applies with a tracking-id annotation (annotation tracking) or the instance
 * label (label tracking, its old default). The instance label alone is also Helm's, so it counts only
 * with Argo CD's managed-by label or an Argo CD field manager.
 */
export function argoManagement(meta: V1ObjectMeta): ArgoManagement | undefined {
  const trackingId = meta.annotations?.[TRACKING_ID_ANNOTATION];
  if (trackingId) return { application: trackingId.split(':')[0] || undefined, evidence: `annotation ${TRACKING_ID_ANNOTATION}` };
  const instance = meta.labels?.[INSTANCE_LABEL];
  const managedBy = (meta.labels?.[MANAGED_BY_LABEL] ?? '').toLowerCase().replace(/[^a-z]/g, '');
  const argoManager = (meta.managedFields ?? []).map((f) => f.manager ?? '').find((m) => m.startsWith('argocd'));
  if (instance && managedBy === 'argocd') return { application: instance, evidence: `labels ${INSTANCE_LABEL} and ${MANAGED_BY_LABEL}` };
  if (instance && argoManager) return { application: instance, evidence: `label ${INSTANCE_LABEL} and field manager ${argoManager}` };
  return undefined;
}

/** The change to commit, as the manifest's identity and a diff of the spec fields that change. */
export function changeToCommit(input: {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  current: Record<string, unknown>;
  desired: Record<string, unknown>;
}): string {
  const lines = [
    `  apiVersion: ${input.apiVersion}`,
    `  kind: ${input.kind}`,
    '  metadata:',
    `    name: ${input.name}`,
    `    namespace: ${input.namespace}`,
    '  spec:',
  ];
  for (const [field, value] of Object.entries(input.desired)) {
    const before = input.current[field];
    if (before !== undefined) lines.push(`-   ${field}: ${JSON.stringify(before)}`);
    lines.push(`+   ${field}: ${JSON.stringify(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
