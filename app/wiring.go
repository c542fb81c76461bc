// Package app holds haloy's and haloyadm's use cases, one per file, and the
// fx modules that wire them to adapters (this file is the only fx code
// besides main.go).
package app

import (
	"context"

	"go.uber.org/fx"

	"github.com/haloy-auth/haloy/adapters/configfile"
	"github.com/haloy-auth/haloy/adapters/envfile"
	"github.com/haloy-auth/haloy/adapters/fs"
	"github.com/haloy-auth/haloy/adapters/httpclient"
	"github.com/haloy-auth/haloy/adapters/httpserver"
	"github.com/haloy-auth/haloy/adapters/onepassword"
	"github.com/haloy-auth/haloy/adapters/osenv"
	"github.com/haloy-auth/haloy/adapters/serverconfig"
	"github.com/haloy-auth/haloy/adapters/sqlite"
	"github.com/haloy-auth/haloy/ports"
)

// UseCases provides every use case. Use cases never import fx: each is a
// plain constructor that takes ports.
var UseCases = fx.Module("usecases",
	clientUseCases,
	serverUseCases,
	netUseCases,
	configUseCases,
)

// Adapters binds every port to its production adapter.
var Adapters = fx.Module("adapters",
	clientAdapters,
	serverAdapters,
	netAdapters,
	configAdapters,
)

var (
	clientUseCases = fx.Provide(NewAddServer, NewListServers, NewDeleteServer)
	clientAdapters = fx.Provide(
		fx.Annotate(fs.New, fx.As(new(ports.ClientStore))),
		fx.Annotate(fs.NewCerts, fx.As(new(ports.CACerts))),
		fx.Annotate(osenv.New, fx.As(new(ports.Env))),
	)
	serverUseCases = fx.Provide(NewInitServer, NewCreateToken, NewListTokens, NewRevokeToken, NewServe)
	serverAdapters = fx.Provide(
		fx.Annotate(newTokenDB, fx.As(new(ports.TokenStore)), fx.As(new(ports.TokenVerifier)), fx.As(new(ports.DeploymentLog))),
		fx.Annotate(serverconfig.New, fx.As(new(ports.ServerConfig))),
		fx.Annotate(httpserver.New, fx.As(new(ports.APIServer))),
	)
)

// The use cases and adapters of the client's calls to servers (issue 5).
var (
	netUseCases = fx.Provide(NewServerVersion, NewCheckServers, NewDeploy, NewStatus, NewVerifyServer)
	netAdapters = fx.Provide(fx.Annotate(httpclient.New, fx.As(new(ports.ServerAPI))))
)

// The use cases and adapters of app configs, env files and secret
// providers (issue 3). A new secret provider is one more entry in
// SecretSources.
var (
	configUseCases = fx.Provide(NewResolve, NewValidateConfig)
	configAdapters = fx.Provide(
		fx.Annotate(configfile.New, fx.As(new(ports.AppConfigs))),
		fx.Annotate(envfile.New, fx.As(new(ports.EnvFiles))),
		func() ports.SecretSources { return ports.SecretSources{onepassword.Provider: onepassword.New()} },
	)
)

// Wiring is what a command needs to build its graph: main binds Adapters,
// tests bind the memory twins.
type Wiring struct {
	Adapters fx.Option
}

// Invoke builds the graph with w's adapters and the extra options (main
// supplies the notifier for the run's stderr), then calls fn with the use
// case UC. Nothing is built before a command runs, so --help and usage
// errors never construct the graph.
func Invoke[UC any](ctx context.Context, w *Wiring, extra fx.Option, fn func(context.Context, UC) error) error {
	var uc UC
	a := fx.New(fx.NopLogger, UseCases, w.Adapters, extra, fx.Populate(&uc))
	if err := a.Err(); err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	defer a.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to report after the command's own result
	return fn(ctx, uc)
}

// newTokenDB opens haloyadm's database lazily and closes it when the
// command's graph stops (after the command, or after serve shuts down).
func newTokenDB(lc fx.Lifecycle, env ports.Env) *sqlite.Store {
	s := sqlite.New(env)
	lc.Append(fx.StopHook(s.Close))
	return s
}
