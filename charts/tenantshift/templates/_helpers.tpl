{{/* Names, labels and the namespaces the chart's RBAC is scoped to; every template uses these. */}}

{{- define "tenantshift.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tenantshift.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "tenantshift.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "tenantshift.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tenantshift.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tenantshift.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tenantshift
{{- end -}}

{{- define "tenantshift.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tenantshift.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tenantshift.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tenantshift.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tenantshift.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where the route agents' heartbeat Leases live; the operator lists them there. */}}
{{- define "tenantshift.routeAgentLeaseNamespace" -}}
{{- default .Release.Namespace .Values.routeAgent.leaseNamespace -}}
{{- end -}}

{{/* Namespace of the PgBouncer pods that run the route agent sidecar. */}}
{{- define "tenantshift.routeAgentNamespace" -}}
{{- default .Release.Namespace .Values.routeAgent.namespace -}}
{{- end -}}

{{- define "tenantshift.routeAgentTokenSecret" -}}
{{- default .Values.routeAgent.token.secretName .Values.routeAgent.token.existingSecret -}}
{{- end -}}

{{/* The namespaces where LandingZone connection Secrets may be written, one per line. */}}
{{- define "tenantshift.landingZoneNamespaces" -}}
{{- $list := .Values.rbac.landingZoneNamespaces | default (list .Release.Namespace) -}}
{{- range $list | uniq }}
{{ . }}
{{- end -}}
{{- end -}}
