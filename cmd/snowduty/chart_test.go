package main

// These tests render charts/snowduty with Helm as a library (the same engine
// and JSON Schema check as `helm install`) and hold the chart to the daemon:
// every variable it sets is one the daemon reads, every setting that matters
// can be set, the rendered configuration passes the daemon's own Validate,
// and every manifest decodes strictly into the Kubernetes API types.

import (
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sethvargo/go-envconfig"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/snowduty/snowduty/poller"
)

const (
	chartDir       = "../../charts/snowduty"
	chartRelease   = "snow"
	chartNamespace = "ops"
	chartFullname  = "snow-snowduty"
)

// chartNotExposed are the daemon's variables the chart deliberately offers
// no value for (the README says the same). Secrets are not in this list:
// the chart passes them as secretKeyRef environment variables.
var chartNotExposed = map[string]string{
	"SNOWDUTY_SERVICENOW_PASSWORD_FILE":       "secrets come through secretKeyRef env vars; a file mount can still use extraEnv + extraVolumes",
	"SNOWDUTY_SERVICENOW_CLIENT_SECRET_FILE":  "as above",
	"SNOWDUTY_FLASHDUTY_APP_KEY_FILE":         "as above",
	"SNOWDUTY_REDIS_PASSWORD_FILE":            "as above",
	"SNOWDUTY_IDENTITY_OVERRIDE":              "a one-off re-bind that must not stay in the values; set it through extraEnv for one upgrade",
	"SNOWDUTY_SERVICENOW_QUERY_ALLOW_UNKNOWN": "an override of the scope query's column check, not a setting to keep; set it through extraEnv",
	"SNOWDUTY_ALLOW_INSECURE_HTTP":            "plain http to a non-loopback API is for labs, not a cluster install",
}

// chartProxyEnv are the standard variables the chart may set besides SNOWDUTY_*.
var chartProxyEnv = []string{"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"}

// chartRender is one rendered release: its manifests decoded strictly.
type chartRender struct {
	notes       string
	deployments []appsv1.Deployment
	statefuls   []appsv1.StatefulSet
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	services    []corev1.Service
	accounts    []corev1.ServiceAccount
	pdbs        []policyv1.PodDisruptionBudget
	netpols     []networkingv1.NetworkPolicy
	monitors    []chartServiceMonitor
	rules       []chartPrometheusRule
}

// chartServiceMonitor and chartPrometheusRule are the parts of the
// prometheus-operator CRDs (monitoring.coreos.com/v1) the chart uses, with
// the CRDs' field names, so that strict decoding catches a misspelt field.
type chartServiceMonitor struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   chartObjectMeta  `json:"metadata"`
	Spec       chartMonitorSpec `json:"spec"`
}

type chartObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type chartMonitorSpec struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	NamespaceSelector struct {
		MatchNames []string `json:"matchNames"`
	} `json:"namespaceSelector"`
	Endpoints []struct {
		Port          string `json:"port"`
		Path          string `json:"path"`
		Interval      string `json:"interval"`
		ScrapeTimeout string `json:"scrapeTimeout"`
	} `json:"endpoints"`
}

type chartPrometheusRule struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   chartObjectMeta `json:"metadata"`
	Spec       struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

var (
	chartOnce   sync.Once
	chartLoaded *chart.Chart
	chartErr    error
)

func chartLoad(t *testing.T) *chart.Chart {
	t.Helper()
	chartOnce.Do(func() { chartLoaded, chartErr = loader.Load(chartDir) })
	if chartErr != nil {
		t.Fatalf("load chart: %v", chartErr)
	}
	return chartLoaded
}

// chartValues reads a values file of charts/snowduty/ci (or none for "")
// and applies --set style overrides.
func chartValues(t *testing.T, file string, set ...string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if file != "" {
		v, err := chartutil.ReadValuesFile(filepath.Join(chartDir, "ci", file))
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		vals = v.AsMap()
	}
	for _, s := range set {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("parse --set %q: %v", s, err)
		}
	}
	return vals
}

// chartRenderErr renders like `helm install`: the values are coalesced with
// values.yaml, checked against values.schema.json, then the templates run.
func chartRenderErr(t *testing.T, vals map[string]any) (map[string]string, error) {
	t.Helper()
	ch := chartLoad(t)
	opts := chartutil.ReleaseOptions{Name: chartRelease, Namespace: chartNamespace, Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, rv)
}

var chartDocSep = regexp.MustCompile(`(?m)^---\s*$`)

var (
	chartCIMu    sync.Mutex
	chartCICache = map[string]*chartRender{}
)

// chartRenderCI renders one ci/*.yaml value set as it is, once per test
// binary: several tests read the same renders, and none changes them.
func chartRenderCI(t *testing.T, file string) *chartRender {
	t.Helper()
	chartCIMu.Lock()
	defer chartCIMu.Unlock()
	if r, ok := chartCICache[file]; ok {
		return r
	}
	r := chartRenderOK(t, chartValues(t, file))
	chartCICache[file] = r
	return r
}

// chartRenderOK renders and decodes every manifest strictly into its API type.
func chartRenderOK(t *testing.T, vals map[string]any) *chartRender {
	t.Helper()
	files, err := chartRenderErr(t, vals)
	if err != nil {
		t.Fatalf("render chart: %v", err)
	}
	r := &chartRender{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(name, "NOTES.txt") {
			r.notes = files[name]
			continue
		}
		for _, doc := range chartDocSep.Split(files[name], -1) {
			if err := r.add(doc); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
		}
	}
	return r
}

// add decodes one YAML document strictly (unknown or duplicate fields fail).
func (r *chartRender) add(doc string) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return fmt.Errorf("parse manifest: %w", err)
	}
	if head.Kind == "" {
		if strings.TrimSpace(chartStripComments(doc)) != "" {
			return fmt.Errorf("manifest without kind")
		}
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(head.Metadata.Name); len(errs) > 0 {
		return fmt.Errorf("name %q: %s", head.Metadata.Name, strings.Join(errs, "; "))
	}
	strict := func(dst any) error { return yaml.UnmarshalStrict([]byte(doc), dst) }
	var err error
	switch head.APIVersion + "/" + head.Kind {
	case "apps/v1/Deployment":
		err = chartAppend(&r.deployments, strict)
	case "apps/v1/StatefulSet":
		err = chartAppend(&r.statefuls, strict)
	case "v1/ConfigMap":
		err = chartAppend(&r.configMaps, strict)
	case "v1/Secret":
		err = chartAppend(&r.secrets, strict)
	case "v1/Service":
		err = chartAppend(&r.services, strict)
	case "v1/ServiceAccount":
		err = chartAppend(&r.accounts, strict)
	case "policy/v1/PodDisruptionBudget":
		err = chartAppend(&r.pdbs, strict)
	case "networking.k8s.io/v1/NetworkPolicy":
		err = chartAppend(&r.netpols, strict)
	case "monitoring.coreos.com/v1/ServiceMonitor":
		err = chartAppend(&r.monitors, strict)
	case "monitoring.coreos.com/v1/PrometheusRule":
		err = chartAppend(&r.rules, strict)
	default:
		err = fmt.Errorf("unexpected kind %s %s: add it to the test's decoder", head.APIVersion, head.Kind)
	}
	return err
}

func chartAppend[T any](list *[]T, decode func(any) error) error {
	var v T
	if err := decode(&v); err != nil {
		return fmt.Errorf("decode strictly: %w", err)
	}
	*list = append(*list, v)
	return nil
}

func chartStripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// chartCIFiles lists the ci/*.yaml value sets.
func chartCIFiles(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no ci/*.yaml value sets in %s (%v)", chartDir, err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func (r *chartRender) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	if len(r.deployments) != 1 {
		t.Fatalf("want 1 Deployment, got %d", len(r.deployments))
	}
	return &r.deployments[0]
}

func (r *chartRender) configMap(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	for i := range r.configMaps {
		if r.configMaps[i].Name == name {
			return &r.configMaps[i]
		}
	}
	t.Fatalf("no ConfigMap %q", name)
	return nil
}

// daemonEnv is the environment the snowduty container starts with: the
// ConfigMap's keys (envFrom) and the env entries. Secret references resolve
// to a placeholder, the pod name to "pod-0".
func (r *chartRender) daemonEnv(t *testing.T) map[string]string {
	t.Helper()
	d := r.deployment(t)
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Fatalf("envFrom other than a ConfigMap: %+v", ef)
		}
		maps.Copy(env, r.configMap(t, ef.ConfigMapRef.Name).Data)
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "from-secret-" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "pod-0"
		default:
			t.Fatalf("env %s: unexpected source %+v", e.Name, e.ValueFrom)
		}
	}
	return env
}

func TestChartRendersEveryCIValueSetStrictly(t *testing.T) {
	for _, f := range chartCIFiles(t) {
		t.Run(f, func(t *testing.T) {
			r := chartRenderCI(t, f)
			if len(r.deployments) != 1 || len(r.services) == 0 || len(r.configMaps) == 0 {
				t.Fatalf("missing core objects: %d deployments, %d services, %d configmaps", len(r.deployments), len(r.services), len(r.configMaps))
			}
		})
	}
}

func TestChartStrictDecodingRejectsUnknownFields(t *testing.T) {
	// The decoder above must be able to fail, or the test proves nothing.
	r := &chartRender{}
	err := r.add("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 1\n")
	if err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("unknown field accepted: %v", err)
	}
	err = r.add("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: x\nspec:\n  endpoint: []\n")
	if err == nil {
		t.Fatalf("unknown ServiceMonitor field accepted")
	}
}

func TestChartDefaultsAreSecure(t *testing.T) {
	r := chartRenderCI(t, "minimal-values.yaml")
	d := r.deployment(t)
	ps := d.Spec.Template.Spec
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %d, want 1", *d.Spec.Replicas)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("pod mounts a service account token")
	}
	if len(r.accounts) != 1 || r.accounts[0].AutomountServiceAccountToken == nil || *r.accounts[0].AutomountServiceAccountToken {
		t.Errorf("ServiceAccount does not disable token automount: %+v", r.accounts)
	}
	if ps.EnableServiceLinks == nil || *ps.EnableServiceLinks {
		t.Errorf("service links on: they inject SNOWDUTY_*_SERVICE_HOST, which the daemon rejects")
	}
	if ps.HostNetwork || ps.HostPID || ps.HostIPC {
		t.Errorf("pod shares a host namespace")
	}
	c := ps.Containers[0]
	if !slices.Equal(c.Args, []string{"run"}) {
		t.Errorf("args = %v, want [run]", c.Args)
	}
	if want := "ghcr.io/snowduty/snowduty:" + chartLoad(t).Metadata.AppVersion; c.Image != want {
		t.Errorf("image = %q, want %q (tag from appVersion)", c.Image, want)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/livez"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/livez"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe: want GET %s on port http, got %+v", p.name, p.path, p.probe)
		}
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("resources not set: %+v", c.Resources)
	}
	if ps.TerminationGracePeriodSeconds == nil || *ps.TerminationGracePeriodSeconds != 30 {
		t.Errorf("terminationGracePeriodSeconds = %v, want 30", ps.TerminationGracePeriodSeconds)
	}
	env := r.daemonEnv(t)
	if env["SNOWDUTY_SHUTDOWN_TIMEOUT"] != "20s" || env["SNOWDUTY_HTTP_ADDR"] != ":8080" || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("shutdown/http settings: %q %q port %d", env["SNOWDUTY_SHUTDOWN_TIMEOUT"], env["SNOWDUTY_HTTP_ADDR"], c.Ports[0].ContainerPort)
	}
	for _, k := range []string{"checksum/config", "checksum/secret"} {
		if len(d.Spec.Template.Annotations[k]) != 64 {
			t.Errorf("pod annotation %s missing", k)
		}
	}
	if n := len(r.pdbs) + len(r.netpols) + len(r.monitors) + len(r.rules) + len(r.statefuls); n != 0 {
		t.Errorf("optional objects rendered by default: %d", n)
	}
	if len(r.configMaps) != 1 {
		t.Errorf("want only the settings ConfigMap by default (no dashboard), got %d", len(r.configMaps))
	}
}

func TestChartPodsAreHardened(t *testing.T) {
	for _, f := range chartCIFiles(t) {
		t.Run(f, func(t *testing.T) {
			r := chartRenderCI(t, f)
			pods := []corev1.PodSpec{r.deployment(t).Spec.Template.Spec}
			for _, s := range r.statefuls {
				pods = append(pods, s.Spec.Template.Spec)
			}
			for _, ps := range pods {
				psc := ps.SecurityContext
				if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("pod security context not strict: %+v", psc)
				}
				if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
					t.Errorf("pod mounts a service account token")
				}
				for _, c := range ps.Containers {
					sc := c.SecurityContext
					switch {
					case sc == nil:
						t.Fatalf("container %s has no securityContext", c.Name)
					case sc.Privileged == nil || *sc.Privileged,
						sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation,
						sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem,
						sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot,
						sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
						t.Errorf("container %s securityContext not strict: %+v", c.Name, sc)
					}
					if c.Resources.Limits.Memory().IsZero() {
						t.Errorf("container %s has no memory limit", c.Name)
					}
				}
			}
		})
	}
}

func TestChartSecretsStayInSecrets(t *testing.T) {
	for _, f := range chartCIFiles(t) {
		t.Run(f, func(t *testing.T) {
			vals := chartValues(t, f)
			r := chartRenderCI(t, f)
			literal := map[string]string{}
			for _, p := range [][2]string{{"servicenow", "password"}, {"servicenow", "clientSecret"}, {"flashduty", "appKey"}, {"redis", "password"}} {
				if g, ok := vals[p[0]].(map[string]any); ok {
					if s, _ := g[p[1]].(string); s != "" {
						literal[p[0]+"."+p[1]] = s
					}
				}
			}
			for _, cm := range r.configMaps {
				for k, v := range cm.Data {
					for name, s := range literal {
						if strings.Contains(v, s) {
							t.Errorf("ConfigMap %s key %s holds %s", cm.Name, k, name)
						}
					}
				}
			}
			secretNames := []string{"SNOWDUTY_SERVICENOW_PASSWORD", "SNOWDUTY_SERVICENOW_CLIENT_SECRET", "SNOWDUTY_FLASHDUTY_APP_KEY", "SNOWDUTY_REDIS_PASSWORD"}
			for _, c := range r.deployment(t).Spec.Template.Spec.Containers {
				for _, e := range c.Env {
					if slices.Contains(secretNames, e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
						t.Errorf("%s is not taken from a Secret", e.Name)
					}
				}
			}
			if len(literal) > 0 {
				if len(r.secrets) != 1 || len(r.secrets[0].Data) != len(literal) {
					t.Fatalf("want one chart Secret with %d keys, got %+v", len(literal), r.secrets)
				}
				for name, s := range literal {
					if !slices.ContainsFunc(slices.Collect(maps.Values(r.secrets[0].Data)), func(b []byte) bool { return string(b) == s }) {
						t.Errorf("chart Secret lacks %s", name)
					}
				}
			} else if len(r.secrets) != 0 {
				t.Errorf("chart made a Secret although every credential comes from an existing one")
			}
		})
	}
}

func TestChartEnvNamesMatchDaemon(t *testing.T) {
	known := envNames()
	for name := range chartNotExposed {
		if !slices.Contains(known, name) {
			t.Errorf("chartNotExposed lists %s, which the daemon does not read: drop it", name)
		}
	}
	seen := map[string]bool{}
	for _, f := range chartCIFiles(t) {
		vals := chartValues(t, f)
		var extra []string
		if xs, ok := vals["extraEnv"].([]any); ok {
			for _, x := range xs {
				extra = append(extra, x.(map[string]any)["name"].(string))
			}
		}
		for name := range chartRenderCI(t, f).daemonEnv(t) {
			switch {
			case slices.Contains(extra, name):
				continue
			case slices.Contains(chartProxyEnv, name):
			case !slices.Contains(known, name):
				t.Errorf("%s: the chart sets %s, which the daemon does not read", f, name)
			case chartNotExposed[name] != "":
				t.Errorf("%s: the chart sets %s, listed as not exposed", f, name)
			}
			seen[name] = true
		}
	}
	for _, name := range append(slices.Clone(known), chartProxyEnv...) {
		if !seen[name] && chartNotExposed[name] == "" {
			t.Errorf("no ci/*.yaml value set makes the chart set %s: add a value for it (or list it in chartNotExposed with a reason)", name)
		}
	}
}

func TestChartConfigIsAcceptedByDaemon(t *testing.T) {
	for _, f := range chartCIFiles(t) {
		t.Run(f, func(t *testing.T) {
			env := chartRenderCI(t, f).daemonEnv(t)
			cfg, err := loadConfig(t.Context(), envconfig.MapLookuper(env))
			if err != nil {
				t.Fatalf("daemon cannot read the rendered environment: %v", err)
			}
			if err := cfg.Validate(true); err != nil {
				t.Fatalf("daemon rejects the rendered configuration:\n%v", err)
			}
			var environ []string
			for k, v := range env {
				environ = append(environ, k+"="+v)
			}
			if u := unknownEnv(environ); len(u) > 0 {
				t.Fatalf("unknown variables: %v", u)
			}
		})
	}
}

func TestChartDefaultsEqualDaemonDefaults(t *testing.T) {
	env := chartRenderCI(t, "minimal-values.yaml").daemonEnv(t)
	required := map[string]string{}
	for _, k := range []string{"SNOWDUTY_SYNC_DIRECTION", "SNOWDUTY_SERVICENOW_URL", "SNOWDUTY_SERVICENOW_USERNAME",
		"SNOWDUTY_SERVICENOW_PASSWORD", "SNOWDUTY_FLASHDUTY_APP_KEY", "SNOWDUTY_FLASHDUTY_CHANNEL_ID",
		"SNOWDUTY_REDIS_URL", "SNOWDUTY_INSTANCE_ID"} {
		v, ok := env[k]
		if !ok {
			t.Fatalf("minimal install does not set %s", k)
		}
		required[k] = v
	}
	fromChart, err := loadConfig(t.Context(), envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	fromDaemon, err := loadConfig(t.Context(), envconfig.MapLookuper(required))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range chartDiff(reflect.ValueOf(*fromChart), reflect.ValueOf(*fromDaemon), "Config") {
		t.Errorf("values.yaml default differs from the daemon's: %s", d)
	}
}

// chartDiff lists the leaf fields of two equal-typed structs that differ.
func chartDiff(a, b reflect.Value, path string) []string {
	if a.Kind() == reflect.Struct {
		var out []string
		for i := range a.NumField() {
			out = append(out, chartDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
		}
		return out
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return []string{fmt.Sprintf("%s: chart %v, daemon %v", path, a.Interface(), b.Interface())}
	}
	return nil
}

func TestChartRequiredValuesFailClearly(t *testing.T) {
	cases := []struct {
		name, file string
		set        []string
		want       string
	}{
		{"no values at all", "", nil, "syncDirection is required: set two_way, to_servicenow or from_servicenow"},
		{"sync direction unset", "minimal-values.yaml", []string{"syncDirection="}, "syncDirection is required"},
		{"sync direction unknown", "minimal-values.yaml", []string{"syncDirection=both"}, "syncDirection"},
		{"servicenow url unset", "minimal-values.yaml", []string{"servicenow.url="}, "servicenow.url is required"},
		{"servicenow url http", "minimal-values.yaml", []string{"servicenow.url=http://sn.example"}, "servicenow"},
		{"servicenow no user, no oauth", "minimal-values.yaml", []string{"servicenow.username=", "servicenow.password="}, "servicenow: set username (Basic auth) or clientId (OAuth)"},
		{"servicenow password missing", "minimal-values.yaml", []string{"servicenow.password="}, "servicenow.username needs a password: set servicenow.existingSecret"},
		{"oauth secret missing", "minimal-values.yaml", []string{"servicenow.clientId=abc"}, "servicenow.clientId needs a client secret"},
		{"flashduty credentials missing", "minimal-values.yaml", []string{"flashduty.appKey="}, "flashduty credentials are required: set flashduty.existingSecret (with appKeyKey) or flashduty.appKey"},
		{"flashduty both sources", "minimal-values.yaml", []string{"flashduty.existingSecret=fd"}, "flashduty: set either existingSecret or appKey"},
		{"flashduty channel missing", "minimal-values.yaml", []string{"flashduty.channelId=0"}, "flashduty.channelId is required with syncDirection two_way"},
		{"redis missing", "minimal-values.yaml", []string{"redis.url="}, "redis is required: set redis.url"},
		{"redis twice", "minimal-values.yaml", []string{"redis.bundled.enabled=true"}, "redis: set only one of"},
		{"redis password in url", "minimal-values.yaml", []string{"redis.url=redis://:pw@r:6379/0"}, "redis.url must not carry credentials"},
		{"proxy credentials", "minimal-values.yaml", []string{"proxy.httpsProxy=http://u:p@proxy:3128"}, "proxy.httpsProxy must not carry credentials"},
		{"grace period too short", "minimal-values.yaml", []string{"terminationGracePeriodSeconds=25"}, "terminationGracePeriodSeconds (25) must exceed shutdownTimeoutSeconds (20) + 5 s"},
		{"grace period below a raised shutdown", "minimal-values.yaml", []string{"shutdownTimeoutSeconds=60"}, "e.g. set it to 70"},
		{"two CA sources", "minimal-values.yaml", []string{"caBundle.configMap.name=a", "caBundle.secret.name=b"}, "caBundle: set configMap.name or secret.name, not both"},
		{"bad duration", "minimal-values.yaml", []string{"lease.ttl=15 seconds"}, "ttl"},
		{"rate above the account limit", "minimal-values.yaml", []string{"flashduty.ratePerSecond=100"}, "ratePerSecond"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := chartRenderErr(t, chartValues(t, tc.file, tc.set...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestChartRejectsUnknownValues(t *testing.T) {
	for _, tc := range []struct{ set, key string }{
		{"replicaCont=2", "replicaCont"},
		{"servicenow.usrname=x", "usrname"},
		{"flashduty.channelID=1", "channelID"},
		{"redis.bundled.persistance.enabled=true", "persistance"},
		{"redis.caBundle.configmap.name=x", "configmap"},
		{"schedules.servicenw=@hourly", "servicenw"},
		{"securityContext.readOnlyRootFileSystem=true", "readOnlyRootFileSystem"},
		{"networkPolicy.enable=true", "enable"},
		{"prometheusRule.severity=page", "severity"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			_, err := chartRenderErr(t, chartValues(t, "minimal-values.yaml", tc.set))
			if err == nil || !strings.Contains(err.Error(), "additional properties '"+tc.key+"' not allowed") {
				t.Fatalf("typo %q: want a schema error naming %q, got %v", tc.set, tc.key, err)
			}
		})
	}
}

func TestChartHARendersPodDisruptionBudget(t *testing.T) {
	r := chartRenderOK(t, chartValues(t, "minimal-values.yaml", "replicaCount=3"))
	d := r.deployment(t)
	if *d.Spec.Replicas != 3 {
		t.Fatalf("replicas = %d", *d.Spec.Replicas)
	}
	if len(r.pdbs) != 1 {
		t.Fatalf("want a PodDisruptionBudget with 3 replicas, got %d", len(r.pdbs))
	}
	pdb := r.pdbs[0]
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("maxUnavailable = %v, want 1", pdb.Spec.MaxUnavailable)
	}
	if !maps.Equal(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PDB selector %v does not match the Deployment's %v", pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels)
	}
	if s := d.Spec.Strategy; s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("strategy = %+v, want a rolling update that never drops below the replica count", s)
	}
	r = chartRenderOK(t, chartValues(t, "minimal-values.yaml", "strategy.type=Recreate"))
	if s := r.deployment(t).Spec.Strategy; s.Type != appsv1.RecreateDeploymentStrategyType || s.RollingUpdate != nil {
		t.Errorf("Recreate strategy rendered as %+v (the API rejects rollingUpdate with Recreate)", s)
	}
	if n := len(chartRenderCI(t, "minimal-values.yaml").pdbs); n != 0 {
		t.Errorf("PodDisruptionBudget with one replica: a single pod could never be evicted")
	}
}

func TestChartFirewallSettingsReachContainer(t *testing.T) {
	r := chartRenderCI(t, "firewall-values.yaml")
	d := r.deployment(t)
	ps := d.Spec.Template.Spec
	c := ps.Containers[0]
	env := r.daemonEnv(t)
	for k, want := range map[string]string{
		"HTTPS_PROXY": "http://proxy.corp.example:3128",
		"HTTP_PROXY":  "http://proxy.corp.example:3128",
		"NO_PROXY":    ".svc,.cluster.local,10.0.0.0/8",
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	// Each CA file the daemon is told about must be a file a volume puts there.
	for _, tc := range []struct{ envName, source, key string }{
		{"SNOWDUTY_CA_FILE", "corp-ca", "corp-ca.pem"},
		{"SNOWDUTY_REDIS_CA_FILE", "redis-ca", "ca.crt"},
	} {
		path := env[tc.envName]
		dir, file := filepath.Split(path)
		var mount *corev1.VolumeMount
		for i := range c.VolumeMounts {
			if filepath.Clean(c.VolumeMounts[i].MountPath) == filepath.Clean(dir) {
				mount = &c.VolumeMounts[i]
			}
		}
		if mount == nil || !mount.ReadOnly {
			t.Fatalf("%s=%q: no read-only volume mounted at %s", tc.envName, path, dir)
		}
		i := slices.IndexFunc(ps.Volumes, func(v corev1.Volume) bool { return v.Name == mount.Name })
		cm := ps.Volumes[i].ConfigMap
		if cm == nil || cm.Name != tc.source || len(cm.Items) != 1 || cm.Items[0].Key != tc.key || cm.Items[0].Path != file {
			t.Errorf("%s: volume %s does not put key %s of ConfigMap %s at %s: %+v", tc.envName, mount.Name, tc.key, tc.source, file, ps.Volumes[i])
		}
	}
	if !strings.HasPrefix(c.Image, "registry.corp.example/snowduty/snowduty:") {
		t.Errorf("registry override not applied: %s", c.Image)
	}
	if len(ps.ImagePullSecrets) != 1 || ps.ImagePullSecrets[0].Name != "corp-registry" {
		t.Errorf("imagePullSecrets = %+v", ps.ImagePullSecrets)
	}
	// A CA bundle from a Secret works the same way.
	r = chartRenderOK(t, chartValues(t, "minimal-values.yaml", "caBundle.secret.name=corp-ca", "caBundle.secret.key=bundle.pem"))
	ps = r.deployment(t).Spec.Template.Spec
	i := slices.IndexFunc(ps.Volumes, func(v corev1.Volume) bool { return v.Secret != nil })
	if i < 0 || ps.Volumes[i].Secret.SecretName != "corp-ca" || ps.Volumes[i].Secret.Items[0].Key != "bundle.pem" || r.daemonEnv(t)["SNOWDUTY_CA_FILE"] != "/etc/snowduty/ca/"+ps.Volumes[i].Secret.Items[0].Path {
		t.Errorf("CA bundle from a Secret not mounted and named: %+v", ps.Volumes)
	}
}

func TestChartNetworkPolicyIsolates(t *testing.T) {
	r := chartRenderCI(t, "firewall-values.yaml")
	if len(r.netpols) != 1 {
		t.Fatalf("want 1 NetworkPolicy, got %d", len(r.netpols))
	}
	np := r.netpols[0].Spec
	if !maps.Equal(np.PodSelector.MatchLabels, r.deployment(t).Spec.Selector.MatchLabels) {
		t.Errorf("NetworkPolicy selects %v", np.PodSelector.MatchLabels)
	}
	if len(np.Ingress) != 1 || len(np.Ingress[0].From) != 1 || np.Ingress[0].From[0].NamespaceSelector == nil || np.Ingress[0].Ports[0].Port.String() != "http" {
		t.Errorf("ingress should allow only the monitoring namespace to port http: %+v", np.Ingress)
	}
	var ports []string
	for _, e := range np.Egress {
		if len(e.To) == 0 {
			t.Errorf("egress rule open to every address: %+v", e)
		}
		for _, p := range e.Ports {
			ports = append(ports, p.Port.String())
		}
	}
	if !slices.Equal(ports, []string{"53", "53", "6379", "3128"}) {
		t.Errorf("egress ports = %v, want DNS, Redis and the proxy only", ports)
	}
	// Without peers configured, nothing may come in at all.
	r = chartRenderCI(t, "bundled-redis-values.yaml")
	for _, p := range r.netpols {
		if p.Name == chartFullname && len(p.Spec.Ingress) != 0 {
			t.Errorf("ingress allowed with no ingressFrom: %+v", p.Spec.Ingress)
		}
		if p.Name == chartFullname+"-redis" && (len(p.Spec.Ingress) != 1 || !maps.Equal(p.Spec.Ingress[0].From[0].PodSelector.MatchLabels, r.deployment(t).Spec.Selector.MatchLabels)) {
			t.Errorf("bundled Redis reachable by more than snowduty: %+v", p.Spec.Ingress)
		}
	}
	if len(r.netpols) != 2 {
		t.Errorf("want NetworkPolicies for snowduty and its Redis, got %d", len(r.netpols))
	}
}

func TestChartBundledRedis(t *testing.T) {
	r := chartRenderCI(t, "bundled-redis-values.yaml")
	if len(r.statefuls) != 1 {
		t.Fatalf("want the Redis StatefulSet, got %d", len(r.statefuls))
	}
	ss := r.statefuls[0]
	if got, want := r.daemonEnv(t)["SNOWDUTY_REDIS_URL"], "redis://"+ss.Spec.ServiceName+":6379/0"; got != want {
		t.Errorf("SNOWDUTY_REDIS_URL = %q, want %q", got, want)
	}
	if maps.Equal(ss.Spec.Selector.MatchLabels, r.deployment(t).Spec.Selector.MatchLabels) {
		t.Errorf("Redis and snowduty pods share a selector")
	}
	c := ss.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "$(REDIS_PASSWORD)") || len(c.Env) != 1 || c.Env[0].ValueFrom.SecretKeyRef.Key != "redis-password" {
		t.Errorf("bundled Redis does not take the password from the Secret: args %v env %+v", c.Args, c.Env)
	}
	if len(ss.Spec.VolumeClaimTemplates) != 1 || ss.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String() != "2Gi" {
		t.Errorf("persistence not rendered: %+v", ss.Spec.VolumeClaimTemplates)
	}
	r = chartRenderOK(t, chartValues(t, "minimal-values.yaml", "redis.url=", "redis.bundled.enabled=true", "redis.bundled.persistence.enabled=false", "redis.password="))
	if !strings.Contains(r.notes, "WARNING: the bundled Redis keeps its state in memory only") || !strings.Contains(r.notes, "has no password") {
		t.Errorf("NOTES do not warn about an ephemeral, open Redis:\n%s", r.notes)
	}
}

func TestChartNotesSayHowToCheck(t *testing.T) {
	r := chartRenderCI(t, "minimal-values.yaml")
	for _, want := range []string{
		"kubectl -n ops logs deployment/snow-snowduty -f",
		"kubectl -n ops exec deployment/snow-snowduty -- snowduty status",
		"kubectl -n ops exec deployment/snow-snowduty -- snowduty check",
		"kubectl -n ops port-forward service/snow-snowduty 8080:8080",
		"http://snow-snowduty.ops.svc:8080/metrics",
		"Sync direction: two_way",
	} {
		if !strings.Contains(r.notes, want) {
			t.Errorf("NOTES.txt lacks %q:\n%s", want, r.notes)
		}
	}
}

// chartMetricRecorder is a prometheus.Registerer that records metric names.
type chartMetricRecorder struct{ names []string }

var chartFQName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (m *chartMetricRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if n := chartFQName.FindStringSubmatch(d.String()); n != nil {
			m.names = append(m.names, n[1])
		}
	}
	return nil
}

func (m *chartMetricRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = m.Register(c)
	}
}

func (m *chartMetricRecorder) Unregister(prometheus.Collector) bool { return true }

func TestChartMonitoringUsesRealMetrics(t *testing.T) {
	rec := &chartMetricRecorder{}
	poller.NewMetrics(rec)
	if len(rec.names) < 10 {
		t.Fatalf("recorded only %v from poller.NewMetrics", rec.names)
	}
	series := regexp.MustCompile(`\bsnowduty_[a-z_]+`)
	check := func(where, expr string) {
		t.Helper()
		found := series.FindAllString(expr, -1)
		if len(found) == 0 {
			t.Errorf("%s: no snowduty metric in %q", where, expr)
		}
		for _, s := range found {
			base := s
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if t := strings.TrimSuffix(s, suf); slices.Contains(rec.names, t) {
					base = t
				}
			}
			if !slices.Contains(rec.names, base) {
				t.Errorf("%s uses %s, which the daemon does not export (it exports %v)", where, s, rec.names)
			}
		}
		if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
			t.Errorf("%s: unbalanced expression %q", where, expr)
		}
	}
	r := chartRenderCI(t, "firewall-values.yaml")
	if len(r.rules) != 1 || len(r.monitors) != 1 {
		t.Fatalf("want a PrometheusRule and a ServiceMonitor, got %d and %d", len(r.rules), len(r.monitors))
	}
	var alerts []string
	for _, g := range r.rules[0].Spec.Groups {
		for _, rule := range g.Rules {
			alerts = append(alerts, rule.Alert)
			check(rule.Alert, rule.Expr)
			if rule.Labels["severity"] == "" || rule.Labels["team"] != "itsm" || rule.Annotations["summary"] == "" {
				t.Errorf("%s: labels %v annotations %v", rule.Alert, rule.Labels, rule.Annotations)
			}
		}
	}
	if want := []string{"SnowdutySyncLagging", "SnowdutyDeadLetters", "SnowdutyAuthErrors", "SnowdutyNoLeader"}; !slices.Equal(alerts, want) {
		t.Errorf("alerts = %v, want %v", alerts, want)
	}
	if ep := r.monitors[0].Spec.Endpoints; len(ep) != 1 || ep[0].Port != "http" || ep[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints = %+v", ep)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := yaml.Unmarshal([]byte(r.configMap(t, chartFullname+"-dashboard").Data["snowduty.json"]), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			check("dashboard panel "+p.Title, tg.Expr)
			for _, s := range series.FindAllString(tg.Expr, -1) {
				used[s] = true
			}
		}
	}
	for _, m := range []string{"snowduty_cursor_lag_seconds", "snowduty_changes_pushed_total", "snowduty_conflicts_total",
		"snowduty_api_calls_total", "snowduty_api_rate_limited_total", "snowduty_retry_queue_depth"} {
		if !used[m] {
			t.Errorf("dashboard does not show %s", m)
		}
	}
}

func TestChartAppVersionIsImageDefault(t *testing.T) {
	ch := chartLoad(t)
	if ch.Metadata.AppVersion == "" || ch.Metadata.Version == "" {
		t.Fatalf("Chart.yaml needs version and appVersion: %+v", ch.Metadata)
	}
	r := chartRenderOK(t, chartValues(t, "minimal-values.yaml", "image.digest=sha256:"+strings.Repeat("ab", 32)))
	if img := r.deployment(t).Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/snowduty/snowduty@sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("digest not used: %s", img)
	}
}

func TestChartNumbersRenderExactly(t *testing.T) {
	// Numbers from a values file arrive as float64, from --set as int64;
	// both must render as plain integers (not 2.451002751131e+12).
	for _, vals := range []map[string]any{
		chartValues(t, "existing-secrets-values.yaml"),
		chartValues(t, "existing-secrets-values.yaml", "flashduty.channelId=2451002751131", "flashduty.channelIds={2451002751131,2451002751132}", "mappings.holdReason=4"),
	} {
		env := chartRenderOK(t, vals).daemonEnv(t)
		if env["SNOWDUTY_FLASHDUTY_CHANNEL_ID"] != "2451002751131" || env["SNOWDUTY_FLASHDUTY_CHANNEL_IDS"] != "2451002751131,2451002751132" {
			t.Errorf("channel ids rendered as %q and %q", env["SNOWDUTY_FLASHDUTY_CHANNEL_ID"], env["SNOWDUTY_FLASHDUTY_CHANNEL_IDS"])
		}
	}
}
