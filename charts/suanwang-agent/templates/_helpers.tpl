{{/*
Naming, labels and the provider table shared by the templates of the site chart.
*/}}

{{/* suanwang-agent.name is the chart name, or nameOverride. */}}
{{- define "suanwang-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
suanwang-agent.fullname prefixes every object: fullnameOverride, else the release name when it already contains the
chart name, else <release>-<chart>. Cut to 45 characters so that "-node-reporter-cambricon" still fits a DNS label.
*/}}
{{- define "suanwang-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* suanwang-agent.chart is name-version, for the helm.sh/chart label. */}}
{{- define "suanwang-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* suanwang-agent.labels go on every object; the caller adds app.kubernetes.io/component. */}}
{{- define "suanwang-agent.labels" -}}
helm.sh/chart: {{ include "suanwang-agent.chart" . }}
app.kubernetes.io/name: {{ include "suanwang-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: suanwang
suanwang.io/site: {{ .Values.site | quote }}
{{- end }}

{{/* suanwang-agent.selectorLabels select pods of one component; they never change after install. */}}
{{- define "suanwang-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "suanwang-agent.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* suanwang-agent.podsOfRelease selects every pod of the release: the agent and the node reporters. */}}
{{- define "suanwang-agent.podsOfRelease" -}}
app.kubernetes.io/name: {{ include "suanwang-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* suanwang-agent.site is the site name; rendering fails with a hint when it is missing. */}}
{{- define "suanwang-agent.site" -}}
{{- required "site is required: the Site's name on the hub, e.g. --set site=shanghai" .Values.site }}
{{- end }}

{{/* suanwang-agent.agentServiceAccountName is the agent's ServiceAccount. */}}
{{- define "suanwang-agent.agentServiceAccountName" -}}
{{- if .Values.agent.serviceAccount.create }}
{{- default (include "suanwang-agent.fullname" .) .Values.agent.serviceAccount.name }}
{{- else }}
{{- required "agent.serviceAccount.name is required when agent.serviceAccount.create is false" .Values.agent.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* suanwang-agent.reporterServiceAccountName is the node reporters' ServiceAccount. */}}
{{- define "suanwang-agent.reporterServiceAccountName" -}}
{{- if .Values.nodeReporter.serviceAccount.create }}
{{- default (printf "%s-node-reporter" (include "suanwang-agent.fullname" .)) .Values.nodeReporter.serviceAccount.name }}
{{- else }}
{{- required "nodeReporter.serviceAccount.name is required when nodeReporter.serviceAccount.create is false" .Values.nodeReporter.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* suanwang-agent.tlsSecretName is the Secret with the client certificate, key and CA bundle. */}}
{{- define "suanwang-agent.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "suanwang-agent.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/*
suanwang-agent.clusterScopedName names cluster-scoped objects. The release namespace is part of the name, so
releases of the same name in two namespaces do not fight over one ClusterRole.
*/}}
{{- define "suanwang-agent.clusterScopedName" -}}
{{- printf "%s-%s" (include "suanwang-agent.fullname" .root) .root.Release.Namespace }}{{ with .suffix }}-{{ . }}{{ end }}
{{- end }}

{{/*
suanwang-agent.image renders an image reference from {repository, tag} of a provider override, falling back to the
chart's image: repository@digest, or repository:tag with the tag defaulting to the appVersion.
*/}}
{{- define "suanwang-agent.image" -}}
{{- $root := .root }}
{{- $override := default dict .override }}
{{- if $override.repository }}
{{- printf "%s:%s" $override.repository (default (default $root.Chart.AppVersion $root.Values.image.tag) $override.tag) }}
{{- else if $root.Values.image.digest }}
{{- printf "%s@%s" $root.Values.image.repository $root.Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $root.Values.image.repository (default (default $root.Chart.AppVersion $root.Values.image.tag) $override.tag) }}
{{- end }}
{{- end }}

{{/* suanwang-agent.providerTools maps each provider key of nodeReporter.providers to `--provider` of node-reporter. */}}
{{- define "suanwang-agent.providerTools" -}}
nvidia: nvidia-smi
huawei: npu-smi
amd: amd-smi
cambricon: cnmon
hygon: hy-smi
{{- end }}

{{/*
suanwang-agent.pullMode is "true" when the agent applies member objects (pullMode.enabled with the agent running).
*/}}
{{- define "suanwang-agent.pullMode" -}}
{{- if and .Values.agent.enabled .Values.pullMode.enabled }}true{{ end }}
{{- end }}

{{/*
suanwang-agent.pullNamespacesExact is "true" when every entry of pullMode.policy.namespaces is an exact name (no
"*"): the agent's write access then goes into those namespaces only. Rendering fails when one of them is the release
namespace: the agent never applies there (a pod in it could mount the agent's client certificate).
*/}}
{{- define "suanwang-agent.pullNamespacesExact" -}}
{{- $exact := true }}
{{- range .Values.pullMode.policy.namespaces }}
{{- if hasSuffix "*" . }}{{ $exact = false }}{{ end }}
{{- end }}
{{- if has .Release.Namespace .Values.pullMode.policy.namespaces }}
{{- fail (printf "pullMode.policy.namespaces lists %q, the release namespace: the agent never applies member objects there (a pod in it could mount the agent's client certificate)" .Release.Namespace) }}
{{- end }}
{{- if $exact }}true{{ end }}
{{- end }}

{{/*
suanwang-agent.sitePolicy is the policy document the agent reads with --site-policy (docs/site-policy.md), field
for field from pullMode.policy. Lists are written as JSON (which is YAML); the device limit as an integer, so a large
one never turns into 1e+06.
*/}}
{{- define "suanwang-agent.sitePolicy" -}}
{{- $p := .Values.pullMode.policy -}}
# The site policy of site {{ .Values.site | quote }}, from the chart's pullMode.policy (docs/site-policy.md).
namespaces: {{ toJson $p.namespaces }}
images: {{ toJson $p.images }}
{{- if not (kindIs "invalid" $p.maxDevicesPerWorkload) }}
maxDevicesPerWorkload: {{ int64 $p.maxDevicesPerWorkload }}
{{- end }}
pods:
  privileged: {{ $p.pods.privileged }}
  hostPath: {{ $p.pods.hostPath }}
  hostNamespaces: {{ $p.pods.hostNamespaces }}
  hostPorts: {{ $p.pods.hostPorts }}
  capabilities: {{ toJson $p.pods.capabilities }}
{{- end }}
