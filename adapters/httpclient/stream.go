package httpclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/haloy-auth/haloy/core"
)

// DefaultStreamIdle is how long a log stream may stay silent, not even a
// keepalive comment, before it counts as dropped: Haloy's server sends a
// keepalive every 30 seconds.
const DefaultStreamIdle = 75 * time.Second

// maxEvent caps one server-sent event's data.
const maxEvent = 1 << 20

// DeployLog follows GET /v1/deploy/{id}/logs as server-sent events: each
// "data:" event is one core.LogEntry; comments (": keepalive") only prove
// the stream is alive. An event whose data is not a LogEntry is skipped.
func (c *Client) DeployLog(ctx context.Context, ep core.Endpoint, id string, each func(core.LogEntry) bool) error {
	what := fmt.Sprintf("log stream of deployment %s on %q", id, ep.Server)
	// no bound on the whole call: a deployment takes as long as it takes;
	// the idle timer below bounds silence instead
	hc, target, err := c.prepare(ep, "/v1/deploy/"+url.PathEscape(id)+"/logs", 0)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	resp, err := c.send(sctx, ep, hc, http.MethodGet, target, nil, "text/event-stream", what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	idle := c.StreamIdle
	if idle <= 0 {
		idle = DefaultStreamIdle
	}
	errSilent := fmt.Errorf("no event or keepalive for %s", idle)
	timer := time.AfterFunc(idle, func() { cancel(errSilent) })
	defer timer.Stop()

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEvent)
	var data []string
	for sc.Scan() {
		timer.Reset(idle)
		line := sc.Text()
		switch {
		case line == "":
			// a blank line ends an event
			if len(data) == 0 {
				continue
			}
			var e core.LogEntry
			err := json.Unmarshal([]byte(strings.Join(data, "\n")), &e)
			data = data[:0]
			if err != nil {
				continue
			}
			if !each(e) {
				return nil
			}
		case strings.HasPrefix(line, ":"):
			// a comment: a keepalive
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	err = sc.Err()
	if ctx.Err() != nil {
		return &core.Error{Kind: core.Unavailable, What: what + " interrupted", Why: ctx.Err().Error(), Err: ctx.Err()}
	}
	why := "the server closed it before the deployment ended"
	switch {
	case errors.Is(context.Cause(sctx), errSilent):
		why = "it went silent: " + errSilent.Error()
	case err != nil:
		why = "it broke: " + err.Error()
	}
	return &core.Error{Kind: core.Unavailable, What: what + " dropped", Why: why, Err: err}
}
