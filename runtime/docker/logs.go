package docker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// Logs writes container id's output to w from the logs endpoint. Our
// containers never have a TTY, so the stream is multiplexed; demux splits
// it, and both halves go to w in the order the server sent them. Without
// Follow it runs under ctx's deadline when ctx has one (the caller's own
// bound, such as [logs] timeout), else under CallTimeout.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	var limit time.Duration
	if !opts.Follow {
		if d, ok := ctx.Deadline(); ok {
			limit = time.Until(d)
		} else {
			limit = r.CallTimeout
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, limit)
			defer cancel()
		}
	}
	lo := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: "all", Timestamps: opts.Timestamps}
	if opts.Tail > 0 {
		lo.Tail = strconv.Itoa(opts.Tail)
	}
	if !opts.Since.IsZero() { // the API takes seconds with a fraction
		lo.Since = fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond())
	}
	rc, err := r.c.ContainerLogs(ctx, string(id), lo)
	if err == nil {
		defer func() { _ = rc.Close() }()
		err = demux(w, rc)
	}
	switch {
	case ctx.Err() != nil && opts.Follow:
		return nil // the caller ended it
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("docker logs %s: not read within %s: %w", id, limit.Round(time.Millisecond), ctx.Err())
	}
	return r.translate(err, "logs "+string(id))
}

// demux copies a multiplexed logs stream's payloads to w: frames of an
// 8-byte header (stream, 3 zero bytes, big-endian size) and the size's
// bytes. Unlike stdcopy.StdCopy, which allocates a buffer as large as the
// frame header says (up to 4 GiB), it copies each frame through in small
// pieces and refuses one larger than MaxLogFrame.
func demux(w io.Writer, r io.Reader) error {
	var hdr [8]byte
	buf := make([]byte, 32<<10)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		switch hdr[0] {
		case 0, 1, 2, 3: // stdin, stdout, stderr, system error
		default:
			return fmt.Errorf("logs: bad frame header %x", hdr)
		}
		size := int64(binary.BigEndian.Uint32(hdr[4:]))
		if size > MaxLogFrame {
			return fmt.Errorf("%w: a logs frame of %d bytes exceeds %d", ErrTooLarge, size, MaxLogFrame)
		}
		if hdr[0] == 3 { // the server's own error, sent in the stream
			msg := make([]byte, size)
			if _, err := io.ReadFull(r, msg); err != nil {
				return err
			}
			return fmt.Errorf("logs: the server says: %s", msg)
		}
		if _, err := io.CopyBuffer(w, io.LimitReader(r, size), buf); err != nil {
			return err
		}
	}
}
