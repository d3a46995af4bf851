{{/* Chart name, truncated to a DNS label. */}}
{{- define "snowduty.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart unless the release name already contains the chart name. Truncated so that "-redis" still fits. */}}
{{- define "snowduty.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 56 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 56 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 56 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart label value. */}}
{{- define "snowduty.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels; pass a dict with "root" and "component". */}}
{{- define "snowduty.labels" -}}
helm.sh/chart: {{ include "snowduty.chart" .root }}
{{ include "snowduty.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Selector labels; pass a dict with "root" and "component" (sync or redis). */}}
{{- define "snowduty.selectorLabels" -}}
app.kubernetes.io/name: {{ include "snowduty.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "snowduty.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "snowduty.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference; pass a dict with "root", "image" and "defaultTag". */}}
{{- define "snowduty.image" -}}
{{- $registry := default .image.registry .root.Values.global.imageRegistry }}
{{- $ref := printf "%s/%s" $registry .image.repository }}
{{- if .image.digest }}
{{- printf "%s@%s" $ref .image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (default .defaultTag .image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret the chart makes for literal credentials. */}}
{{- define "snowduty.secretName" -}}
{{- include "snowduty.fullname" . }}
{{- end }}

{{/* Name of the bundled Redis' Service and StatefulSet. */}}
{{- define "snowduty.redisName" -}}
{{- printf "%s-redis" (include "snowduty.fullname" .) }}
{{- end }}

{{/* True ("true") when the chart makes a Secret: some credential is given literally. */}}
{{- define "snowduty.makesSecret" -}}
{{- $v := .Values }}
{{- if or $v.servicenow.password $v.servicenow.clientSecret $v.flashduty.appKey $v.redis.password }}true{{ end }}
{{- end }}

{{/*
A secretKeyRef for one credential; pass a dict with "root", "existing" (Secret
name or ""), "key" (its key there) and "chartKey" (key in the chart's Secret).
*/}}
{{- define "snowduty.secretKeyRef" -}}
secretKeyRef:
  {{- if .existing }}
  name: {{ .existing }}
  key: {{ .key }}
  {{- else }}
  name: {{ include "snowduty.secretName" .root }}
  key: {{ .chartKey }}
  {{- end }}
{{- end }}

{{/* True ("true") when a Redis password is configured. */}}
{{- define "snowduty.redisAuth" -}}
{{- if or .Values.redis.existingSecret .Values.redis.password }}true{{ end }}
{{- end }}

{{/*
A CA bundle volume source; pass the caBundle values. Renders nothing when
neither configMap.name nor secret.name is set.
*/}}
{{- define "snowduty.caVolumeSource" -}}
{{- if .configMap.name }}
configMap:
  name: {{ .configMap.name }}
  items:
    - key: {{ .configMap.key }}
      path: ca.crt
{{- else if .secret.name }}
secret:
  secretName: {{ .secret.name }}
  items:
    - key: {{ .secret.key }}
      path: ca.crt
{{- end }}
{{- end }}

{{/* Join a list of integers (YAML numbers arrive as float64) with commas. */}}
{{- define "snowduty.joinInts" -}}
{{- $out := list }}
{{- range . }}{{ $out = append $out (int64 . | toString) }}{{ end }}
{{- join "," $out }}
{{- end }}

{{/*
Checks that JSON Schema cannot express. Each failure says what to set. The
schema guards types and typos; these guard required values and combinations,
so that `helm template | kubectl apply` fails just as `helm install` does.
*/}}
{{- define "snowduty.validate" -}}
{{- $v := .Values }}
{{- if not $v.syncDirection }}
{{- fail "syncDirection is required: set two_way, to_servicenow or from_servicenow (there is no default, on purpose)" }}
{{- end }}
{{- if not $v.servicenow.url }}
{{- fail "servicenow.url is required, e.g. https://acme.service-now.com" }}
{{- end }}
{{- $sn := $v.servicenow }}
{{- if and (not $sn.username) (not $sn.clientId) }}
{{- fail "servicenow: set username (Basic auth) or clientId (OAuth), and the matching password or clientSecret through servicenow.existingSecret or the value itself" }}
{{- end }}
{{- if and $sn.existingSecret (or $sn.password $sn.clientSecret) }}
{{- fail "servicenow: set either existingSecret or password/clientSecret, not both" }}
{{- end }}
{{- if and $sn.username (not $sn.existingSecret) (not $sn.password) }}
{{- fail "servicenow.username needs a password: set servicenow.existingSecret (with passwordKey) or servicenow.password" }}
{{- end }}
{{- if and $sn.clientId (not $sn.existingSecret) (not $sn.clientSecret) }}
{{- fail "servicenow.clientId needs a client secret: set servicenow.existingSecret (with clientSecretKey) or servicenow.clientSecret" }}
{{- end }}
{{- if and $sn.password (not $sn.username) }}
{{- fail "servicenow.password is set but servicenow.username is empty: set both" }}
{{- end }}
{{- if and $sn.clientSecret (not $sn.clientId) }}
{{- fail "servicenow.clientSecret is set but servicenow.clientId is empty: set both" }}
{{- end }}
{{- $fd := $v.flashduty }}
{{- if and (not $fd.existingSecret) (not $fd.appKey) }}
{{- fail "flashduty credentials are required: set flashduty.existingSecret (with appKeyKey) or flashduty.appKey" }}
{{- end }}
{{- if and $fd.existingSecret $fd.appKey }}
{{- fail "flashduty: set either existingSecret or appKey, not both" }}
{{- end }}
{{- if and (ne $v.syncDirection "to_servicenow") (not $fd.channelId) }}
{{- fail (printf "flashduty.channelId is required with syncDirection %s: the channel that incidents created from ServiceNow go to" $v.syncDirection) }}
{{- end }}
{{- $r := $v.redis }}
{{- $modes := 0 }}
{{- if $r.url }}{{ $modes = add1 $modes }}{{ end }}
{{- if or $r.sentinel.master $r.sentinel.addrs }}{{ $modes = add1 $modes }}{{ end }}
{{- if $r.clusterAddrs }}{{ $modes = add1 $modes }}{{ end }}
{{- if $r.bundled.enabled }}{{ $modes = add1 $modes }}{{ end }}
{{- if eq $modes 0 }}
{{- fail "redis is required: set redis.url (e.g. redis://redis.infra:6379/0), redis.sentinel.master + addrs, redis.clusterAddrs, or redis.bundled.enabled=true for a quick start" }}
{{- end }}
{{- if gt $modes 1 }}
{{- fail "redis: set only one of redis.url, redis.sentinel, redis.clusterAddrs and redis.bundled.enabled" }}
{{- end }}
{{- if and (or $r.sentinel.master $r.sentinel.addrs) (not (and $r.sentinel.master $r.sentinel.addrs)) }}
{{- fail "redis.sentinel.master and redis.sentinel.addrs go together" }}
{{- end }}
{{- if and $r.existingSecret $r.password }}
{{- fail "redis: set either existingSecret or password, not both" }}
{{- end }}
{{- if contains "@" $r.url }}
{{- fail "redis.url must not carry credentials (it is stored in a ConfigMap): set redis.username, and redis.password or redis.existingSecret" }}
{{- end }}
{{- range $k, $u := dict "proxy.httpsProxy" $v.proxy.httpsProxy "proxy.httpProxy" $v.proxy.httpProxy }}
{{- if contains "@" $u }}
{{- fail (printf "%s must not carry credentials (it is stored in a ConfigMap): set HTTPS_PROXY through extraEnv with valueFrom.secretKeyRef instead" $k) }}
{{- end }}
{{- end }}
{{- if and $v.caBundle.configMap.name $v.caBundle.secret.name }}
{{- fail "caBundle: set configMap.name or secret.name, not both" }}
{{- end }}
{{- if and $r.caBundle.configMap.name $r.caBundle.secret.name }}
{{- fail "redis.caBundle: set configMap.name or secret.name, not both" }}
{{- end }}
{{- $grace := int $v.terminationGracePeriodSeconds }}
{{- $shutdown := int $v.shutdownTimeoutSeconds }}
{{- if le $grace (add $shutdown 5) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed shutdownTimeoutSeconds (%d) + 5 s, or Kubernetes kills snowduty before its passes finish; e.g. set it to %d" $grace $shutdown (add $shutdown 10)) }}
{{- end }}
{{- end }}
