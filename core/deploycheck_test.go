package core

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckDeployment(t *testing.T) {
	good := Deployment{ID: "01JD5Z7K3M", App: "my-app", Target: "production",
		Image:    Image{Repository: "ghcr.io/acme/my-app", Tag: "v1.2.3"},
		Domains:  []Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}},
		EnvNames: []string{"DATABASE_URL", "_X"}}
	tests := []struct {
		name     string
		edit     func(*Deployment)
		wantWhat string
	}{
		{"good", func(*Deployment) {}, ""},
		{"minimal", func(d *Deployment) { *d = Deployment{ID: "1", App: "a", Image: Image{Repository: "nginx"}} }, ""},
		{"no_id", func(d *Deployment) { d.ID = "" }, `invalid deployment_id ""`},
		{"id_with_slash", func(d *Deployment) { d.ID = "a/b" }, `invalid deployment_id "a/b"`},
		{"no_app", func(d *Deployment) { d.App = "" }, `invalid app name ""`},
		{"upper_app", func(d *Deployment) { d.App = "MyApp" }, `invalid app name "MyApp"`},
		{"long_app", func(d *Deployment) { d.App = strings.Repeat("a", 256) }, `invalid app name "` + strings.Repeat("a", 256) + `"`},
		{"bad_target", func(d *Deployment) { d.Target = "a b" }, `invalid target "a b"`},
		{"no_image", func(d *Deployment) { d.Image.Repository = "" }, `invalid image.repository ""`},
		{"bad_tag", func(d *Deployment) { d.Image.Tag = "v1;rm" }, `invalid image.tag "v1;rm"`},
		{"bad_domain", func(d *Deployment) { d.Domains[0].Domain = "https://x.com" }, `invalid domain "https://x.com"`},
		{"bad_alias", func(d *Deployment) { d.Domains[0].Aliases = []string{"-x.com-"} }, `invalid domain "-x.com-"`},
		{"too_many_domains", func(d *Deployment) { d.Domains = make([]Domain, 101) }, `invalid domains "101"`},
		// a value pasted into env must not come back in the error
		{"env_value", func(d *Deployment) { d.EnvNames = []string{"DB_PASSWORD=hunter2"} }, "invalid env variable name"},
		{"env_digit", func(d *Deployment) { d.EnvNames = []string{"1X"} }, "invalid env variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			d.Domains = []Domain{{Domain: "my-app.com", Aliases: []string{"www.my-app.com"}}}
			tt.edit(&d)
			err := CheckDeployment(d)
			got := ""
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) || ce.Kind != Invalid {
					t.Fatalf("CheckDeployment() = %#v, want a *Error of Kind Invalid", err)
				}
				got = ce.What
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("CheckDeployment() = %q, leaks the value", err)
				}
			}
			if got != tt.wantWhat {
				t.Errorf("CheckDeployment() what = %q, want %q", got, tt.wantWhat)
			}
		})
	}
}
