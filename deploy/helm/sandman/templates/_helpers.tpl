{{- define "sandman.labels" -}}
app.kubernetes.io/name: sandman
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sandman.selector" -}}
app.kubernetes.io/name: sandman
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* What both the worker and the API read: Temporal, the secret's keys, the shared settings. */}}
{{- define "sandman.env" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- if .Values.temporal.tlsSecret }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/sandman/temporal-tls/tls.crt
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/sandman/temporal-tls/tls.key
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/sandman/temporal-tls/ca.crt
{{- end }}
{{- if .Values.temporal.apiKeySecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.temporal.apiKeySecret }}, key: api-key}
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The root filesystem is read-only: the JVM and gRPC's native transport get a writable /tmp. */}}
{{- define "sandman.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {sizeLimit: 64Mi}
{{- if .Values.temporal.tlsSecret }}
  - name: temporal-tls
    secret: {secretName: {{ .Values.temporal.tlsSecret }}}
{{- end }}
{{- end -}}

{{- define "sandman.mounts" -}}
volumeMounts:
  - {name: tmp, mountPath: /tmp}
{{- if .Values.temporal.tlsSecret }}
  - name: temporal-tls
    mountPath: /etc/sandman/temporal-tls
    readOnly: true
{{- end }}
{{- end -}}
