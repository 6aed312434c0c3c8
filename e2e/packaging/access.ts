// What only the chart install needs: a ServiceAccount's own kubeconfig, and access reviews.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/**
 * A kubeconfig that authenticates as the ServiceAccount with a token from the TokenRequest API; with
 * `pod`, the token is bound to that Pod as a kubelet's would be (the API server then names the pod).
 */
export async function serviceAccountKubeconfig(
  kc: KubeConfig,
  namespace: string,
  name: string,
  pod?: { name: string; uid: string },
): Promise<{ kc: KubeConfig; file: string }> {
  const core = kc.makeApiClient(CoreV1Api);
  const boundObjectRef = pod ? { kind: 'Pod', apiVersion: 'v1', name: pod.name, uid: pod.uid } : undefined;
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600, boundObjectRef } },
  });
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no current cluster');
  const sa = new KubeConfig();
  sa.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token: tr.status?.token }],
    contexts: [{ name, cluster: cluster.name, user: name, namespace }],
    currentContext: name,
  });
  const file = join(mkdtempSync(join(tmpdir(), 'tenantshift-sa-')), 'kubeconfig');
  writeFileSync(file, sa.exportConfig(), { mode: 0o600 });
  return { kc: sa, file };
}

export interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  /** Absent: across all namespaces. */
  namespace?: string;
  name?: string;
}

export function describeAccess(a: Access): string {
  const what = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''}${a.name ? ` ${a.name}` : ''}`;
  return `${a.verb} ${what} ${a.namespace ? `in ${a.namespace}` : 'in all namespaces'}`;
}

/** SubjectAccessReview: may `user` do `a`? Asked of the real RBAC authorizer. */
export async function allowed(kc: KubeConfig, user: string, a: Access): Promise<boolean> {
  const sar = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: {
        user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${user.split(':')[2]}`, 'system:authenticated'],
        resourceAttributes: {
          verb: a.verb,
          resource: a.resource,
          group: a.group ?? '',
          subresource: a.subresource,
          namespace: a.namespace,
          name: a.name,
        },
      },
    },
  });
  return sar.status?.allowed === true;
}
