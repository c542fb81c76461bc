package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/haloy-auth/haloy/adapters/memory"
	"github.com/haloy-auth/haloy/core"
)

// FuzzDeployBody: whatever the body, POST /v1/deploy answers 202, 400, 409
// or 413, never a 5xx or a panic, and records only valid deployments.
func FuzzDeployBody(f *testing.F) {
	f.Add([]byte(deployBody("d1", "web")))
	f.Add([]byte(`{"deploymentID":"01jdz3t4q9w2v1s6m8k0r5n7xb","targetConfig":{"name":"b","server":"s","image":{"repository":"c","build":true},"env":[{"name":"X=1"}]}}`))
	f.Add([]byte(`{"app":"web"`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\x00\xff"))
	toks := &memory.Tokens{}
	deploys := &memory.Deployments{}
	tok := core.FormatAPIToken([32]byte{1})
	toks.Create(context.Background(), core.NewTokenRecord{Name: "ci", Hash: core.HashAPIToken(tok), CreatedAt: time.Now()})
	s := New(toks, deploys, &memory.Notes{})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/deploy", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 202:
			var d core.DeployRequest
			if err := json.Unmarshal(body, &d); err != nil || core.CheckDeployRequest(d) != nil {
				t.Fatalf("POST /v1/deploy %q = 202 for an invalid deployment", body)
			}
		case 400, 409, 413:
		default:
			t.Fatalf("POST /v1/deploy %q = %d %s", body, rec.Code, rec.Body)
		}
	})
}
