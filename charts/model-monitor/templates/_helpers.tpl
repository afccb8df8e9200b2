{{/*
Chart name, cut to 63 characters (the DNS label limit).
*/}}
{{- define "model-monitor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: release-chart, or the release name alone when it already contains the chart name.
*/}}
{{- define "model-monitor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "model-monitor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "model-monitor.labels" -}}
helm.sh/chart: {{ include "model-monitor.chart" . }}
{{ include "model-monitor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: model-monitor
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels selecting the operator's pods.
*/}}
{{- define "model-monitor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "model-monitor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "model-monitor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "model-monitor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The DNS name the API server calls the webhooks at; the self-signed certificate carries it.
*/}}
{{- define "model-monitor.webhookHost" -}}
{{- printf "%s.%s.svc" (include "model-monitor.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "model-monitor.certSecretName" -}}
{{- printf "%s-webhook-tls" (include "model-monitor.fullname" .) }}
{{- end }}

{{- define "model-monitor.image" -}}
{{- $tag := default .Chart.AppVersion .image.tag }}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Settings that cannot work together fail the render with a message naming the values.
*/}}
{{- define "model-monitor.validate" -}}
{{- if and .Values.peering.enabled .Values.watchNamespaces }}
{{- fail "peering.enabled needs a cluster-wide operator: Kopf's namespaced peering is not supported by this chart (unset watchNamespaces)" }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.peering.enabled) }}
{{- fail "replicaCount > 1 needs peering.enabled=true: without peering every replica would handle every ModelMonitor" }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) .Values.webhooks.enabled (not .Values.webhooks.certManager.enabled) }}
{{- fail "replicaCount > 1 with webhooks needs webhooks.certManager.enabled=true: each replica would publish its own self-signed CA" }}
{{- end }}
{{- $managed := list "MODELMONITOR_LOG_FORMAT" "MODELMONITOR_LOG_LEVEL" "MODELMONITOR_METRICS_PORT" "MODELMONITOR_NAMESPACES" "MODELMONITOR_OPERATOR_NAMESPACE" "MODELMONITOR_PEERING" "MODELMONITOR_RETRY_BASE_SECONDS" "MODELMONITOR_RETRY_MAX_SECONDS" "MODELMONITOR_SIDECAR_CHECK_INTERVAL" "MODELMONITOR_SIDECAR_CPU_LIMIT" "MODELMONITOR_SIDECAR_CPU_REQUEST" "MODELMONITOR_SIDECAR_IMAGE" "MODELMONITOR_SIDECAR_IMAGE_PULL_POLICY" "MODELMONITOR_SIDECAR_MEMORY_LIMIT" "MODELMONITOR_SIDECAR_MEMORY_REQUEST" "MODELMONITOR_SIDECAR_RUN_AS_USER" "MODELMONITOR_STANDALONE" "MODELMONITOR_WEBHOOKS_ENABLED" "MODELMONITOR_WEBHOOK_CERTFILE" "MODELMONITOR_WEBHOOK_CONFIGURATION" "MODELMONITOR_WEBHOOK_HOST" "MODELMONITOR_WEBHOOK_PKEYFILE" "MODELMONITOR_WEBHOOK_PORT" "MODELMONITOR_WEBHOOK_TIMEOUT_SECONDS" }}
{{- range .Values.extraEnv }}
{{- if has .name $managed }}
{{- fail (printf "extraEnv sets %s, which the chart already sets from its values: set the value instead" .name) }}
{{- end }}
{{- end }}
{{- end }}
