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

// What a pull keeps of its layers for the progress log is bounded, as the
// stream it reads is not: at most maxPullLayers layers (an image has tens),
// each known by at most maxLayerID bytes of its id (Docker sends 12), with
// only whether it is done. A server naming new layers without end costs
// some 150 KB, not memory in step with the stream.
const (
	maxPullLayers = 1000
	maxLayerID    = 64
)

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
	last, layers := time.Now(), map[string]bool{}
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return r.translate(err, "pull "+image)
		}
		if msg.Error != nil {
			return fmt.Errorf("docker pull %s: %s", image, msg.Error.Message)
		}
		if msg.ID != "" && msg.Status != "" {
			id := msg.ID[:min(len(msg.ID), maxLayerID)]
			if _, known := layers[id]; known || len(layers) < maxPullLayers {
				layers[id] = layerDone(msg.Status)
			}
		}
		if time.Since(last) >= pullLogEvery {
			last = time.Now()
			log.Info("pulling image", "layers", len(layers), "done", countDone(layers), "elapsed", time.Since(started).Round(time.Second))
		}
	}
	log.Info("pulled image", "layers", len(layers), "elapsed", time.Since(started).Round(time.Millisecond))
	return nil
}

func layerDone(status string) bool {
	return status == "Pull complete" || status == "Already exists" || status == "Download complete"
}

func countDone(layers map[string]bool) int {
	n := 0
	for _, done := range layers {
		if done {
			n++
		}
	}
	return n
}
