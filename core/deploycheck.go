package core

import (
	"fmt"
	"regexp"
	"strconv"
)

// Limits on a recorded deployment, so that one request cannot fill the disk.
const (
	maxDeployField   = 255
	maxDeployDomains = 100
	maxDeployEnv     = 500
)

var (
	deployIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	appNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	domainRE   = regexp.MustCompile(`^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	imageRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]*$`)
)

// CheckDeploymentApp returns a *Error of Kind Invalid unless app is a lower-case
// app name of letters, digits, '-' and '_', as container names allow.
func CheckDeploymentApp(app string) error {
	if len(app) > maxDeployField || !appNameRE.MatchString(app) {
		return &Error{Kind: Invalid, What: "invalid app name " + strconv.Quote(app),
			Why: "an app name is 1 to 255 lower-case letters, digits, '-' and '_', starting with a letter or digit",
			Fix: "set name: my-app in haloy.yaml"}
	}
	return nil
}

// CheckDeployment validates a deployment request before the server records
// it. Returns a *Error of Kind Invalid naming the first bad field.
func CheckDeployment(d Deployment) error {
	bad := func(field, value, why string) error {
		return &Error{Kind: Invalid, What: fmt.Sprintf("invalid %s %s", field, strconv.Quote(value)), Why: why}
	}
	if d.ID == "" || len(d.ID) > maxDeployField || !deployIDRE.MatchString(d.ID) {
		return bad("deployment_id", d.ID, "a deployment id is 1 to 255 letters, digits, '.', '_' and '-'")
	}
	if err := CheckDeploymentApp(d.App); err != nil {
		return err
	}
	if len(d.Target) > maxDeployField || (d.Target != "" && !deployIDRE.MatchString(d.Target)) {
		return bad("target", d.Target, "a target name is letters, digits, '.', '_' and '-'")
	}
	if len(d.Image.Repository) > maxDeployField || !imageRE.MatchString(d.Image.Repository) {
		return bad("image.repository", d.Image.Repository, "an image repository is required, e.g. ghcr.io/acme/my-app")
	}
	if len(d.Image.Tag) > 128 || (d.Image.Tag != "" && !deployIDRE.MatchString(d.Image.Tag)) {
		return bad("image.tag", d.Image.Tag, "an image tag is up to 128 letters, digits, '.', '_' and '-'")
	}
	if len(d.Domains) > maxDeployDomains {
		return bad("domains", strconv.Itoa(len(d.Domains)), fmt.Sprintf("at most %d domains are accepted", maxDeployDomains))
	}
	for _, dom := range d.Domains {
		for _, name := range append([]string{dom.Domain}, dom.Aliases...) {
			if len(name) > 253 || !domainRE.MatchString(name) {
				return bad("domain", name, "a domain is a DNS name like my-app.example.com")
			}
		}
	}
	if len(d.EnvNames) > maxDeployEnv {
		return bad("env", strconv.Itoa(len(d.EnvNames)), fmt.Sprintf("at most %d variable names are accepted", maxDeployEnv))
	}
	for _, n := range d.EnvNames {
		if len(n) > maxDeployField || !envNameRE.MatchString(n) {
			// a value sent by mistake (NAME=secret) must not be echoed back
			return &Error{Kind: Invalid, What: "invalid env variable name",
				Why: "env lists variable names only (letters, digits and '_', not starting with a digit), never values"}
		}
	}
	return nil
}
