{{/*
Naming and labels shared by every template of the hub chart.
*/}}

{{/* suanwang.name is the chart name, or nameOverride. */}}
{{- define "suanwang.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
suanwang.fullname prefixes every object: fullnameOverride, else the release name when it already contains the chart
name, else <release>-<chart>. Cut to 63 characters (DNS label).
*/}}
{{- define "suanwang.fullname" -}}
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

{{/* suanwang.chart is name-version, for the helm.sh/chart label. */}}
{{- define "suanwang.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* suanwang.selectorLabels select the operator pods; they never change after install. */}}
{{- define "suanwang.selectorLabels" -}}
app.kubernetes.io/name: {{ include "suanwang.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* suanwang.releaseLabels identify the chart and release; the generated CRD templates use them too. */}}
{{- define "suanwang.releaseLabels" -}}
helm.sh/chart: {{ include "suanwang.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* suanwang.labels go on every object the chart creates (except the CRDs). */}}
{{- define "suanwang.labels" -}}
{{ include "suanwang.releaseLabels" . }}
app.kubernetes.io/name: {{ include "suanwang.name" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: suanwang
{{- end }}

{{/* suanwang.serviceAccountName is the operator's ServiceAccount. */}}
{{- define "suanwang.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "suanwang.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* suanwang.tlsSecretName is the Secret with the serving certificate and key (and a CA bundle). */}}
{{- define "suanwang.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "suanwang.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* suanwang.clientCaSecretName is the Secret with the CA bundle that verifies agents (unless tls.clientCa.useServerCa). */}}
{{- define "suanwang.clientCaSecretName" -}}
{{- default (printf "%s-agent-ca" (include "suanwang.fullname" .)) .Values.tls.clientCa.secretName }}
{{- end }}

{{/* suanwang.revokedConfigMapName is the ConfigMap with the revoked agent certificates. */}}
{{- define "suanwang.revokedConfigMapName" -}}
{{- printf "%s-revoked-agent-certificates" (include "suanwang.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
suanwang.clusterScopedName names cluster-scoped objects (ClusterRole, ClusterRoleBinding). The release namespace is
part of the name, so releases of the same name in two namespaces do not fight over one ClusterRole.
*/}}
{{- define "suanwang.clusterScopedName" -}}
{{- printf "%s-%s" (include "suanwang.fullname" .) .Release.Namespace }}
{{- end }}

{{/* suanwang.image is repository@digest, or repository:tag (tag defaulting to the chart's appVersion). */}}
{{- define "suanwang.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* suanwang.serviceDnsNames are the names agents inside the hub cluster could dial. */}}
{{- define "suanwang.serviceDnsNames" -}}
{{- $svc := include "suanwang.fullname" . -}}
- {{ $svc }}
- {{ $svc }}.{{ .Release.Namespace }}
- {{ $svc }}.{{ .Release.Namespace }}.svc
- {{ $svc }}.{{ .Release.Namespace }}.svc.{{ .Values.tls.clusterDomain }}
{{- end }}
