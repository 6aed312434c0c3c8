// Which Kubernetes collection a runtime component talks to, and the keys and paths derived from it.
import type { KubernetesObject } from '@kubernetes/client-node';

/** A namespaced resource type; group '' is the core API (ConfigMap, Secret, ...). */
export interface ResourceType {
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. "schemareplications". */
  plural: string;
  kind: string;
}

/** Objects as the runtime handles them: plain JSON with metadata, as the API server sends them. */
export interface KubeObject extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & { name?: string; namespace?: string };
  status?: unknown;
}

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** The collection URL path: in one namespace, or across all namespaces when `namespace` is empty. */
export function collectionPath(r: ResourceType, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}` : `${base}/${r.plural}`;
}

export function describeResource(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** The work-queue key of an object: "namespace/name" (or "name" for cluster-scoped objects). */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
