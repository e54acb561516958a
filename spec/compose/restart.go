package compose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// restart maps restart: (and deploy.restart_policy's condition and
// max_attempts). A service without either gets veloslet's default, always:
// compose's default "no" would make an imported project unsupervised.
// on-failure:N (or max_attempts: N under condition on-failure) becomes the
// spec's restart_max_attempts N: Docker relaunches at most N times, as
// veloslet does before it gives up. N = 0 is Docker's "no limit", which
// veloslet has not: the daemon's [restart] max_attempts applies, noted.
func restart(svc *Service, c types.ServiceConfig) error {
	r := c.Restart
	key := "restart"
	if c.Deploy != nil && c.Deploy.RestartPolicy != nil {
		rp := c.Deploy.RestartPolicy
		if k := unknownKey(rp, keySet("condition max_attempts")); k != "" {
			return &Refusal{Service: c.Name, Key: "deploy.restart_policy." + k,
				Reason: "a spec's back-off is veloslet's own; only condition and max_attempts map"}
		}
		switch rp.Condition {
		case "none":
			r = "no"
		case "any", "":
			r = "always"
		case "on-failure":
			r = "on-failure"
		}
		key = "deploy.restart_policy.condition"
		if rp.MaxAttempts != nil {
			if r != "on-failure" {
				return &Refusal{Service: c.Name, Key: "deploy.restart_policy.max_attempts",
					Reason: "needs condition: on-failure, the one policy that gives up"}
			}
			r, key = "on-failure:"+strconv.FormatUint(*rp.MaxAttempts, 10), "deploy.restart_policy.max_attempts"
		}
	}
	switch {
	case r == "":
		svc.defaultRestart = true // one note for the project (convert)
	case r == "no":
		svc.Spec.Restart = spec.RestartNever
	case r == "always" || r == "unless-stopped":
		svc.Spec.Restart = spec.RestartAlways
	case r == "on-failure":
		svc.Spec.Restart = spec.RestartOnFailure
	case strings.HasPrefix(r, "on-failure:"):
		n, err := strconv.ParseUint(strings.TrimPrefix(r, "on-failure:"), 10, 64)
		if err != nil || n > spec.MaxRestartAttempts {
			return &Refusal{Service: c.Name, Key: key,
				Reason: fmt.Sprintf("%q: want on-failure:N, N a whole number of relaunches from 0 to %d", r, spec.MaxRestartAttempts)}
		}
		svc.Spec.Restart, svc.Spec.RestartMaxAttempts = spec.RestartOnFailure, int(n)
		if n == 0 {
			svc.Notes = append(svc.Notes, fmt.Sprintf("%s %q: veloslet always gives up at some point; [restart] max_attempts applies", key, r))
		}
	default:
		return &Refusal{Service: c.Name, Key: key, Reason: fmt.Sprintf("%q: want no, always, unless-stopped or on-failure[:N]", r)}
	}
	return nil
}
