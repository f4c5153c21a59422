{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "aimsgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: the release name, plus the chart name unless it contains it. */}}
{{- define "aimsgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "aimsgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aimsgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aimsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "aimsgate.labels" -}}
helm.sh/chart: {{ include "aimsgate.chart" . }}
{{ include "aimsgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "aimsgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Name of the Secret holding provider keys (created by the chart or existing). */}}
{{- define "aimsgate.secretName" -}}
{{- if .Values.secrets.create -}}
{{- include "aimsgate.fullname" . -}}
{{- else -}}
{{- required "secrets.existingSecret is required when secrets.create is false" .Values.secrets.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Name of the ConfigMap holding the policy bundle; empty for the embedded baseline. */}}
{{- define "aimsgate.policyConfigMap" -}}
{{- if .Values.policy.existingConfigMap -}}
{{- .Values.policy.existingConfigMap -}}
{{- else if .Values.policy.files -}}
{{- printf "%s-policy" (include "aimsgate.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "aimsgate.terminationGrace" -}}
{{- add .Values.server.preStopSleepSeconds .Values.server.shutdownGraceSeconds .Values.server.terminationMarginSeconds -}}
{{- end -}}

{{/* aimsgate.toml: the chart-owned keys, then config.extra. */}}
{{- define "aimsgate.configToml" -}}
# Written by the aimsgate Helm chart: data_dir, [server] and [policy] come from values.yaml.
data_dir = "/var/lib/aimsgate"

[server]
listen = "0.0.0.0:8080"
admin_listen = "0.0.0.0:9090"
shutdown_grace = "{{ .Values.server.shutdownGraceSeconds }}s"

{{- if include "aimsgate.policyConfigMap" . }}

[policy]
path = "/etc/aimsgate/policy"
watch = {{ .Values.policy.watch }}
{{- end }}

{{ .Values.config.extra }}
{{- end -}}
