package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// pullLogEvery spaces the progress lines of one pull.
const pullLogEvery = 5 * time.Second

// pull fetches image, logging its progress. A failure is returned with the
// registry's message, which the launch reports as its error.
func (r *Runtime) pull(ctx context.Context, image string) error {
	log := r.logger().With("image", image, "host", r.host)
	log.Info("pulling image")
	runtime.PullStarted(ctx, image)
	started := time.Now()
	resp, err := r.c.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return r.translate(err, "pull "+image)
	}
	defer func() { _ = resp.Close() }()
	last, layers := time.Now(), map[string]string{}
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return r.translate(err, "pull "+image)
		}
		if msg.Error != nil {
			return fmt.Errorf("docker pull %s: %s", image, msg.Error.Message)
		}
		if msg.ID != "" && msg.Status != "" {
			layers[msg.ID] = msg.Status
		}
		if time.Since(last) >= pullLogEvery {
			last = time.Now()
			log.Info("pulling image", "layers", len(layers), "done", countDone(layers), "elapsed", time.Since(started).Round(time.Second))
		}
	}
	log.Info("pulled image", "layers", len(layers), "elapsed", time.Since(started).Round(time.Millisecond))
	return nil
}

func countDone(layers map[string]string) int {
	n := 0
	for _, s := range layers {
		if s == "Pull complete" || s == "Already exists" || s == "Download complete" {
			n++
		}
	}
	return n
}
