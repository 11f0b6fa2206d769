{{/* The chart's name, or nameOverride. */}}
{{- define "ipnc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of every resource: the release name alone when it already contains the
chart's name (so the default install is ds/istio-pod-network-controller).
*/}}
{{- define "ipnc.fullname" -}}
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

{{- define "ipnc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ipnc.labels" -}}
helm.sh/chart: {{ include "ipnc.chart" . }}
{{ include "ipnc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The DaemonSet's selector; the agents also find each other by it (ipnc.discoverySelector). */}}
{{- define "ipnc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ipnc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ipnc.selectorLabels as a label selector (name=value,name=value), so the two cannot drift apart. */}}
{{- define "ipnc.discoverySelector" -}}
{{- include "ipnc.selectorLabels" . | replace ": " "=" | replace "\n" "," }}
{{- end }}

{{- define "ipnc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ipnc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
