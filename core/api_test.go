package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// keys lists every JSON key path of v, encoded, sorted: "a", "a.b", "a[].c".
func keys(t *testing.T, v any) []string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T) error = %v", v, err)
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				out = append(out, p)
				walk(p, e)
			}
		case []any:
			for _, e := range x[:min(1, len(x))] {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", generic)
	sort.Strings(out)
	return out
}

// TestContractFieldNames pins the JSON names of every body of the API. Both
// the client (adapters/httpclient) and the server (adapters/httpserver)
// encode and decode these types, and the names are Haloy's
// (internal/apitypes, internal/logging upstream): a renamed field breaks
// the protocol with Haloy's server or client, and this test.
func TestContractFieldNames(t *testing.T) {
	yes, n := true, 2
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	target := DeployTarget{Name: "web", Preset: "service", ImageKey: "k", Server: "s", DeploymentStrategy: "rolling",
		NamingStrategy: "dynamic", Protected: &yes, Domains: []Domain{{Domain: "a.com", Aliases: []string{"b.com"}}},
		Env:             []DeployEnv{{Name: "A", Value: "v", From: &DeployFrom{Env: "E", Secret: "S"}, BuildArg: true}},
		HealthCheckPath: "/", MinReadySeconds: &n, Port: "8080", Replicas: &n, Volumes: []string{"v"}, Network: "n",
		PreDeploy: []string{"x"}, PostDeploy: []string{"y"},
		Image: &DeployImage{Repository: "r", Tag: "t", PullPolicy: "always", Build: &yes, BuildConfig: json.RawMessage(`{}`),
			History: &ImageHistory{Strategy: "local", Count: &n, Pattern: "p"}}}
	targetKeys := []string{"deploymentStrategy", "domains", "domains[].aliases", "domains[].domain", "env", "env[].buildArg",
		"env[].from", "env[].from.env", "env[].from.secret", "env[].name", "env[].value", "healthCheckPath", "image",
		"image.build", "image.buildConfig", "image.history", "image.history.count", "image.history.pattern", "image.history.strategy", "image.pullPolicy", "image.repository", "image.tag", "imageKey", "minReadySeconds",
		"name", "namingStrategy", "network", "port", "postDeploy", "preDeploy", "preset", "protected", "replicas", "server", "volumes"}
	prefixed := func(p string, ks ...string) []string {
		var out []string
		for _, k := range ks {
			out = append(out, p+k)
		}
		return out
	}
	deployKeys := append([]string{"deploymentID", "rollbackDeployConfig", "targetConfig"},
		append(prefixed("rollbackDeployConfig.", append(append([]string{}, targetKeys...), "secretProviders", "secretProviders.onepassword",
			"secretProviders.onepassword.src", "secretProviders.onepassword.src.vault")...), prefixed("targetConfig.", targetKeys...)...)...)
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"health", HealthResponse{Status: "ok", Service: "haloyd", Version: "1"}, []string{"service", "status", "version"}},
		{"version", VersionResponse{Haloyd: "1", Proxy: "2", Capabilities: []string{"layer-upload"}, TokenName: "ci", TokenExpiresAt: &at},
			[]string{"capabilities", "haloy_proxy", "haloyd", "token_expires_at", "token_name"}},
		{"deploy_request", DeployRequest{DeploymentID: "id", TargetConfig: target,
			RollbackDeployConfig: RollbackConfig{DeployTarget: target, SecretProviders: SecretProviders{"onepassword": {"src": {"vault": "v"}}}}},
			deployKeys},
		{"log_entry", LogEntry{Level: "INFO", Message: "m", Timestamp: at, DeploymentID: "id", AppName: "web", Domains: []string{"a.com"},
			Fields: map[string]any{"error": "e"}, IsDeploymentComplete: true, IsDeploymentFailed: true, IsDeploymentSuccess: true},
			[]string{"appName", "deploymentID", "domains", "fields", "fields.error", "isDeploymentComplete", "isDeploymentFailed",
				"isDeploymentSuccess", "level", "message", "timestamp"}},
		{"status", StatusResponse{State: "running", DeploymentID: "id", ContainerIDs: []string{"c"}, Domains: []Domain{{Domain: "a.com"}},
			App: "web", Deployments: []DeploymentRecord{{Deployment: Deployment{ID: "id", App: "web", Target: "t", Image: Image{Repository: "r", Tag: "t"},
				Domains: []Domain{{Domain: "a.com"}}, EnvNames: []string{"A"}}, TokenID: 1, TokenName: "ci", ReceivedAt: at}}},
			[]string{"app", "containerIds", "deploymentId", "deployments", "deployments[].app", "deployments[].deployment_id",
				"deployments[].domains", "deployments[].domains[].domain", "deployments[].env", "deployments[].image",
				"deployments[].image.repository", "deployments[].image.tag", "deployments[].received_at", "deployments[].target",
				"deployments[].token_id", "deployments[].token_name", "domains", "domains[].domain", "state"}},
		{"error", ErrorResponse{Error: "e"}, []string{"error"}},
		{"token_info", TokenRecord{ID: 2, Name: "ci", CreatedAt: at, ExpiresAt: at, LastUsedAt: at, RevokedAt: at, ReplacedBy: 3,
			Grant: TokenGrant{Scopes: []Scope{ScopeDeploy}, Apps: []string{"web"}}, CreatedBy: "haloyadm", RevokedBy: "itself"}.Info(at),
			[]string{"apps", "created_at", "created_by", "expires_at", "id", "last_used_at", "name", "replaced_by", "revoked_at",
				"revoked_by", "scopes", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := append([]string{}, tt.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, keys(t, tt.v)); diff != "" {
				t.Errorf("JSON keys of %T mismatch (-want +got):\n%s", tt.v, diff)
			}
		})
	}
}

// TestContractDecodesHaloyBodies decodes bodies written as Haloy's client
// and server send them (field for field from upstream's types), refusing
// unknown fields as both servers do.
func TestContractDecodesHaloyBodies(t *testing.T) {
	strict := func(data string, v any) error {
		dec := json.NewDecoder(strings.NewReader(data))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	t.Run("deploy_request", func(t *testing.T) {
		body := `{"deploymentID":"01jdz3t4q9w2v1s6m8k0r5n7xb","targetConfig":{"name":"web","image":{"repository":"ghcr.io/a/web","tag":"v1"},` +
			`"server":"prod.example.com","domains":[{"domain":"web.example.com","aliases":["www.example.com"]}],"env":[{"name":"A","value":"1"}],` +
			`"healthCheckPath":"/health","port":"8080","replicas":2},"rollbackDeployConfig":{"name":"web","image":{"repository":"ghcr.io/a/web","tag":"v1"},` +
			`"server":"prod.example.com","env":[{"name":"A","from":{"env":"A"}}],"secretProviders":{"onepassword":{"p":{"vault":"V","item":"I"}}}}}`
		var r DeployRequest
		if err := strict(body, &r); err != nil {
			t.Fatalf("decode Haloy's DeployRequest: %v", err)
		}
		if err := CheckDeployRequest(r); err != nil {
			t.Errorf("CheckDeployRequest(Haloy's body) = %v, want nil", err)
		}
		if r.TargetConfig.Env[0].Value != "1" || r.RollbackDeployConfig.Env[0].From.Env != "A" || r.TargetConfig.Port != "8080" {
			t.Errorf("decoded %+v", r)
		}
		// Haloy's client puts the token here; haloyadm serve refuses it
		if err := strict(`{"deploymentID":"x","targetConfig":{"name":"web","apiToken":{"value":"t"}}}`, &r); err == nil ||
			!strings.Contains(err.Error(), "apiToken") {
			t.Errorf("decode with targetConfig.apiToken = %v, want an unknown field error", err)
		}
	})
	t.Run("log_entries", func(t *testing.T) {
		// the entries Haloy's LogDeploymentComplete and LogDeploymentFailed make
		for _, tt := range []struct {
			data               string
			ends, failed, succ bool
		}{
			{`{"level":"INFO","message":"Pulling image","timestamp":"2026-01-02T03:04:05.123Z","deploymentID":"d","fields":{"image":"x"}}`, false, false, false},
			{`{"level":"INFO","message":"Deployment complete","timestamp":"2026-01-02T03:04:05Z","deploymentID":"d","appName":"web","domains":["a.com"],"isDeploymentComplete":true,"isDeploymentSuccess":true}`, true, false, true},
			{`{"level":"ERROR","message":"Deployment failed","timestamp":"2026-01-02T03:04:05Z","deploymentID":"d","appName":"web","fields":{"error":"image not found"},"isDeploymentComplete":true,"isDeploymentFailed":true}`, true, true, false},
		} {
			var e LogEntry
			if err := strict(tt.data, &e); err != nil {
				t.Fatalf("decode %s: %v", tt.data, err)
			}
			if e.Ends() != tt.ends || e.Failed() != tt.failed || e.IsDeploymentSuccess != tt.succ {
				t.Errorf("entry %s: Ends() = %v, Failed() = %v, success %v; want %v, %v, %v", tt.data, e.Ends(), e.Failed(), e.IsDeploymentSuccess, tt.ends, tt.failed, tt.succ)
			}
		}
	})
	t.Run("status_and_version", func(t *testing.T) {
		var s StatusResponse
		if err := strict(`{"state":"running","deploymentId":"01jd","containerIds":["abc"],"domains":[{"domain":"a.com"}]}`, &s); err != nil {
			t.Fatal(err)
		}
		want := StatusResponse{State: "running", DeploymentID: "01jd", ContainerIDs: []string{"abc"}, Domains: []Domain{{Domain: "a.com"}}}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("status mismatch (-want +got):\n%s", diff)
		}
		var v VersionResponse
		if err := json.Unmarshal([]byte(`{"haloyd":"0.9.1","haloy_proxy_required_generation":3,"capabilities":["layer-upload","image-disk-preflight"]}`), &v); err != nil {
			t.Fatal(err)
		}
		if v.Haloyd != "0.9.1" || len(v.Capabilities) != 2 {
			t.Errorf("version = %+v", v)
		}
	})
}

func TestEnvValuePrintsRedacted(t *testing.T) {
	r := DeployRequest{TargetConfig: DeployTarget{Env: []DeployEnv{{Name: "DB", Value: "hunter2"}}}}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), fmt.Sprintf("%s", r.TargetConfig.Env[0].Value)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("printed request %q shows the value", s)
		}
	}
	data, _ := json.Marshal(r)
	if !bytes.Contains(data, []byte(`"value":"hunter2"`)) {
		t.Errorf("JSON %s lacks the value, which Haloy's server needs", data)
	}
}
