// Package app holds haloy's and haloyadm's use cases, one per file, and the
// fx modules that wire them to adapters (this file is the only fx code
// besides main.go).
package app

import (
	"context"

	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/agefile"
	"github.com/haloy-auth/haloy/adapters/awssecrets"
	"github.com/haloy-auth/haloy/adapters/bitwarden"
	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/console"
	"github.com/haloy-auth/haloy/adapters/doppler"
	"github.com/haloy-auth/haloy/adapters/envfile"
	"github.com/haloy-auth/haloy/adapters/execsecret"
	"github.com/haloy-auth/haloy/adapters/fs"
	"github.com/haloy-auth/haloy/adapters/gcpsecrets"
	"github.com/haloy-auth/haloy/adapters/httpclient"
	"github.com/haloy-auth/haloy/adapters/httpserver"
	"github.com/haloy-auth/haloy/adapters/oidc"
	"github.com/haloy-auth/haloy/adapters/onepassword"
	"github.com/haloy-auth/haloy/adapters/osenv"
	"github.com/haloy-auth/haloy/adapters/pass"
	"github.com/haloy-auth/haloy/adapters/serverconfig"
	"github.com/haloy-auth/haloy/adapters/shell"
	"github.com/haloy-auth/haloy/adapters/sops"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/adapters/vault"
	"github.com/haloy-auth/haloy/ports"
)

// UseCases provides every use case. Use cases never import fx: each is a
// plain constructor that takes ports. A command's graph holds only the
// areas its use case needs (see graph); UseCases and Adapters hold all of
// them, for tests that check the whole wiring.
var UseCases = fx.Module("usecases",
	clientUseCases,
	serverUseCases,
	netUseCases,
	configUseCases,
)

// Adapters binds every port to its production adapter.
var Adapters = fx.Module("adapters",
	envAdapters,
	clientAdapters,
	serverAdapters,
	netAdapters,
	configAdapters,
)

var (
	envAdapters    = fx.Provide(fx.Annotate(osenv.New, fx.As(new(ports.Env))))
	clientUseCases = fx.Provide(NewAddServer, NewListServers, NewDeleteServer)
	clientAdapters = fx.Provide(
		fx.Annotate(fs.New, fx.As(new(ports.ClientStore))),
		fx.Annotate(fs.NewCerts, fx.As(new(ports.CACerts))),
	)
	serverUseCases = fx.Provide(NewInitServer, NewCreateToken, NewListTokens, NewRevokeToken, NewPruneTokens, NewServe,
		NewAddTrust, NewListTrust, NewRemoveTrust, fx.Annotate(NewTokenAdmin, fx.As(new(ports.TokenAdmin))))
	serverAdapters = fx.Provide(
		fx.Annotate(newTokenDB, fx.As(new(ports.TokenStore)), fx.As(new(ports.TokenVerifier)), fx.As(new(ports.DeploymentLog)),
			fx.As(new(ports.TrustStore))),
		fx.Annotate(serverconfig.New, fx.As(new(ports.ServerConfig))),
		fx.Annotate(newAPIServer, fx.As(new(ports.APIServer))),
		fx.Annotate(NewExchangeOIDC, fx.As(new(ports.TokenExchanger))),
		fx.Annotate(func() *oidc.Verifier { return oidc.New(nil, nil) }, fx.As(new(ports.IdentityVerifier))),
	)
)

// The use cases and adapters of the client's calls to servers (issue 5).
var (
	netUseCases = fx.Options(fx.Provide(NewServerVersion, NewCheckServers, NewDeploy, NewStatus, NewVerifyServer,
		NewRotateServer, NewRemoteTokens, NewRevokeStored),
		// each call says what it waits for (a spinner on a terminal)
		fx.Decorate(console.WaitingAPI, console.WaitingTokens))
	netAdapters = fx.Provide(
		fx.Annotate(httpclient.New, fx.As(new(ports.ServerAPI)), fx.As(new(ports.TokenAPI))),
		fx.Annotate(oidc.NewCI, fx.As(new(ports.CIIdentity))),
		// deploy's hooks (pre_deploy, post_deploy, ...) run with the system shell
		fx.Annotate(shell.New, fx.As(new(ports.Commands))),
	)
)

// The use cases and adapters of app configs, env files and secret
// providers (issue 3). A new secret provider is one more entry in
// SecretSources.
var (
	configUseCases = fx.Options(fx.Provide(NewResolve, NewValidateConfig, NewListTargets, NewCheckSecrets),
		// each fetch says which item it asks for (a spinner on a terminal)
		fx.Decorate(console.WaitingSecrets))
	configAdapters = fx.Provide(
		fx.Annotate(configfile.New, fx.As(new(ports.AppConfigs))),
		fx.Annotate(envfile.New, fx.As(new(ports.EnvFiles))),
		func() ports.SecretSources {
			return ports.SecretSources{
				onepassword.Provider:  onepassword.New(),
				pass.Provider:         pass.New(),
				bitwarden.Provider:    bitwarden.New(),
				doppler.Provider:      doppler.New(),
				awssecrets.Provider:   awssecrets.New(),
				gcpsecrets.Provider:   gcpsecrets.New(),
				vault.Provider:        vault.New(),
				vault.OpenBaoProvider: vault.NewOpenBao(),
				agefile.Provider:      agefile.New(),
				execsecret.Provider:   execsecret.New(),
				sops.Provider:         sops.New(),
			}
		},
	)
)

// An area is a part of the program: some use cases, and the production
// adapters of the ports that only that part adds.
type area struct{ useCases, adapters fx.Option }

var (
	envArea    = area{fx.Options(), envAdapters}
	clientArea = area{clientUseCases, clientAdapters}
	serverArea = area{serverUseCases, serverAdapters}
	netArea    = area{netUseCases, netAdapters}
	configArea = area{configUseCases, configAdapters}
	allAreas   = []area{envArea, clientArea, serverArea, netArea, configArea}
)

// areasOf returns the areas the graph of use case uc (a nil pointer of its
// type) is built from. fx.New registers every constructor it is given, and
// registering all of them cost `haloy server list` about a fifth of its
// start-up (docs/performance.md), so each command gets only its own. A use
// case missing here still works: it gets every area.
func areasOf(uc any) []area {
	switch uc.(type) {
	case *AddServer, *ListServers, *DeleteServer:
		return []area{envArea, clientArea}
	case *InitServer, *CreateToken, *ListTokens, *RevokeToken, *PruneTokens, *Serve, *AddTrust, *ListTrust, *RemoveTrust:
		return []area{envArea, serverArea}
	case *Resolve, *ValidateConfig:
		return []area{envArea, clientArea, configArea}
	case *ListTargets, *CheckSecrets:
		return []area{envArea, configArea}
	case *ServerVersion, *CheckServers, *VerifyServer, *RotateServer, *RemoteTokens, *RevokeStored:
		return []area{envArea, clientArea, netArea}
	case *Deploy, *Status:
		return []area{envArea, clientArea, configArea, netArea}
	}
	return allAreas
}

// graph returns the options of the graph that builds use case uc: the
// use cases of its areas, with w's adapters, or with the production
// adapters of those areas when w names none.
func graph(uc any, w *Wiring) []fx.Option {
	opts := []fx.Option{fx.NopLogger}
	for _, a := range areasOf(uc) {
		opts = append(opts, a.useCases)
		if w.Adapters == nil {
			opts = append(opts, a.adapters)
		}
	}
	if w.Adapters != nil {
		opts = append(opts, w.Adapters)
	}
	return opts
}

// Wiring is what a command needs to build its graph. Tests bind memory
// twins in Adapters (or every production adapter, Adapters); main leaves
// Adapters nil, and each command's graph then gets the production adapters
// of the areas its use case needs, and no others.
type Wiring struct {
	Adapters fx.Option
}

// Invoke builds the graph of use case UC with w's adapters and the extra
// options (main supplies the notifier for the run's stderr), then calls fn
// with it. Nothing is built before a command runs, so --help and usage
// errors never construct the graph.
func Invoke[UC any](ctx context.Context, w *Wiring, extra fx.Option, fn func(context.Context, UC) error) error {
	var uc UC
	opts := append(graph(any(uc), w), extra, fx.Populate(&uc))
	a := fx.New(opts...)
	if err := a.Err(); err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	defer a.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to report after the command's own result
	return fn(ctx, uc)
}

// newAPIServer is the API server with the OIDC exchange route and the
// token routes.
func newAPIServer(tokens ports.TokenVerifier, deploys ports.DeploymentLog, notes ports.Notifier, x ports.TokenExchanger, admin ports.TokenAdmin) *httpserver.Server {
	return httpserver.New(tokens, deploys, notes, httpserver.WithTokenAdmin(admin)).WithExchanger(x)
}

// newTokenDB opens haloyadm's database lazily and closes it when the
// command's graph stops (after the command, or after serve shuts down).
func newTokenDB(lc fx.Lifecycle, env ports.Env) *sqlite.Store {
	s := sqlite.New(env)
	lc.Append(fx.StopHook(s.Close))
	return s
}
