package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// run: `container run [options] IMAGE [ARG...]`; options stop at the image.
func (e *emu) run(args []string, unlock func()) int {
	c := &container{Labels: map[string]string{}, State: "running", CreatedAt: time.Now().UTC()}
	progressOff, detach := false, false
	var envList, envFiles []string
	entrypoint := ""
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		opt := args[i]
		val := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		var v string
		var ok = true
		switch opt {
		case "--detach", "-d":
			detach = true
		case "--disable-progress-updates":
			if e.atLeast(0, 7) {
				return e.usage("Unknown option '--disable-progress-updates'")
			}
			progressOff = true
		case "--progress":
			if !e.atLeast(0, 7) {
				return e.usage("Unknown option '--progress'")
			}
			v, ok = val()
			progressOff = v == "none"
		case "--name":
			c.ID, ok = val()
		case "--env", "-e":
			v, ok = val()
			if ok && strings.Contains(v, "=") && os.Getenv("CONTAINER_EMU_ENV_ARGV") == "refuse" {
				return e.usage(fmt.Sprintf("env value on the command line: '--env %s' (CONTAINER_EMU_ENV_ARGV=refuse)", strings.SplitN(v, "=", 2)[0]))
			}
			envList = append(envList, v)
		case "--env-file":
			v, ok = val()
			envFiles = append(envFiles, v)
		case "--entrypoint":
			entrypoint, ok = val()
		case "--label", "-l":
			v, ok = val()
			k, lv, err := parseLabel(v)
			if err != nil {
				return e.fail(err.Error())
			}
			c.Labels[k] = lv
		case "--cpus", "-c":
			v, ok = val()
			n, err := strconv.Atoi(v)
			if err != nil {
				return e.usage(fmt.Sprintf("The value '%s' is invalid for '--cpus <cpus>'", v))
			}
			c.CPUs = n
		case "--memory", "-m":
			v, ok = val()
			c.Memory = parseMemory(v)
			if c.Memory <= 0 {
				return e.fail(fmt.Sprintf("invalidArgument: \"invalid memory value %q\"", v))
			}
		default:
			code, known := e.specOption(c, opt, val)
			if !known {
				return e.usage(fmt.Sprintf("Unknown option '%s'", opt))
			}
			if code >= 0 {
				return code
			}
		}
		if !ok {
			return e.usage(fmt.Sprintf("Missing value for '%s'", opt))
		}
	}
	if i >= len(args) {
		return e.usage("Missing expected argument '<image>'")
	}
	c.Image = args[i]
	img, err := image(c.Image)
	if err != nil {
		return e.fail(err.Error())
	}
	if c.Env, err = e.allEnv(img.Env, envFiles, envList); err != nil {
		return e.fail(err.Error())
	}
	if c.Exec, c.Args, err = e.process(img, entrypoint, args[i+1:]); err != nil {
		return e.fail(err.Error())
	}
	if c.ID == "" {
		c.ID = fmt.Sprintf("%x", time.Now().UnixNano())
	}
	if len(c.ID) > 63 || !namePattern.MatchString(c.ID) {
		return e.fail(fmt.Sprintf("invalidArgument: \"invalid container id %q\"", c.ID))
	}
	if _, err := os.Stat(e.path(c.ID)); err == nil {
		return e.fail(e.coded("exists", fmt.Sprintf("container with id %s already exists", c.ID)))
	}
	if err := pullable(c.Image); err != nil {
		return e.fail(err.Error())
	}
	if !progressOff {
		fmt.Fprintln(os.Stderr, "⠋ [1/2] Fetching image [0s]")
	}
	now := time.Now().UTC()
	c.Started = &now
	if err := e.save(c); err != nil {
		return e.fail(err.Error())
	}
	_ = os.Remove(e.logPath(c.ID)) // a new container starts with no output
	if c.Exec == "echo" {
		// echo prints its arguments and exits 0, as the real process would.
		_ = e.appendLog(c.ID, strings.Join(c.Args, " "))
		c.State, c.ExitCode = "stopped", 0
		if err := e.save(c); err != nil {
			return e.fail(err.Error())
		}
	}
	if !detach {
		return e.attached(c.ID, unlock)
	}
	fmt.Println(c.ID)
	return 0
}

func parseMemory(v string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "K"):
		mult, v = 1<<10, strings.TrimSuffix(v, "K")
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, strings.TrimSuffix(v, "M")
	case strings.HasSuffix(v, "G"):
		mult, v = 1<<30, strings.TrimSuffix(v, "G")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return -1
	}
	return n * mult
}

// ids skips the options a verb accepts and returns the container ids.
func ids(args []string, withValue map[string]bool) (flags map[string]string, out []string) {
	flags = map[string]string{}
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") {
			if withValue[args[i]] && i+1 < len(args) {
				flags[args[i]] = args[i+1]
				i++
			} else {
				flags[args[i]] = ""
			}
			continue
		}
		out = append(out, args[i])
	}
	return flags, out
}

func notFound(verb, id string) string {
	return fmt.Sprintf(`internalError: "failed to %s container" (cause: "notFound: "container with ID %s not found"")`, verb, id)
}

func (e *emu) delete(args []string) int {
	flags, names := ids(args, nil)
	_, force := flags["--force"]
	if _, f := flags["-f"]; f {
		force = true
	}
	if !e.atLeast(0, 11) {
		if code, stop := e.deleteMissing(names); stop {
			return code
		}
	}
	for _, id := range names {
		c, err := e.load(id)
		if err != nil {
			return e.fail(notFound("delete", id))
		}
		if c.State == "running" && !force {
			return e.fail(fmt.Sprintf(`invalidState: "container %s is running and can not be deleted"`, id))
		}
		if err := os.Remove(e.path(id)); err != nil {
			return e.fail(err.Error())
		}
		_ = os.Remove(e.logPath(id))
		fmt.Println(id)
	}
	return 0
}

// deleteMissing is how `delete` up to 0.10.x meets ids that do not exist:
// it lists first and, if any id is missing, deletes nothing and throws
// ContainerizationError(.notFound, "failed to delete one or more containers:
// \(missing)") — missing a Swift Set, printed ["a", "b"]. Up to 0.9.x the
// error prints with its code, `notFound: "…"`; 0.10.x prints the bare
// message, with no "notFound" anywhere. From 0.11 each id is deleted on its
// own and a missing one fails with the service's notFound (see notFound).
func (e *emu) deleteMissing(names []string) (int, bool) {
	var missing []string
	for _, id := range names {
		if _, err := os.Stat(e.path(id)); err != nil {
			missing = append(missing, strconv.Quote(id))
		}
	}
	if len(missing) == 0 {
		return 0, false
	}
	msg := "failed to delete one or more containers: [" + strings.Join(missing, ", ") + "]"
	if !e.atLeast(0, 10) {
		msg = `notFound: "` + msg + `"` // the description quotes without escaping
	}
	return e.fail(msg), true
}

// exit is the emulator's own verb: `emu-exit NAME CODE`.
func (e *emu) exit(args []string) int {
	if len(args) != 2 {
		return e.usage("emu-exit NAME CODE")
	}
	c, err := e.load(args[0])
	if err != nil {
		return e.fail(notFound("exit", args[0]))
	}
	code, err := strconv.Atoi(args[1])
	if err != nil {
		return e.usage("CODE must be a number")
	}
	c.State, c.ExitCode = "stopped", code
	if err := e.save(c); err != nil {
		return e.fail(err.Error())
	}
	return 0
}

func (e *emu) list(args []string) int {
	flags, _ := ids(args, map[string]bool{"--format": true})
	_, all := flags["--all"]
	if _, a := flags["-a"]; a {
		all = true
	}
	asJSON := flags["--format"] == "json"
	if asJSON && !e.atLeast(0, 10) {
		all = true // before 0.10 the JSON form ignored the filter
	}
	cs, err := e.all()
	if err != nil {
		return e.fail(err.Error())
	}
	var shown []*container
	for _, c := range cs {
		if all || c.State == "running" {
			shown = append(shown, c)
		}
	}
	if !asJSON {
		fmt.Println("ID  IMAGE  OS  ARCH  STATE  ADDR")
		for _, c := range shown {
			fmt.Printf("%s  %s  linux  arm64  %s  \n", c.ID, c.Image, c.State)
		}
		return 0
	}
	b, err := json.Marshal(e.objects(shown)) // one line, as the CLI prints it
	if err != nil {
		return e.fail(err.Error())
	}
	fmt.Println(string(b))
	return 0
}

func (e *emu) inspect(args []string) int {
	var shown []*container
	for _, id := range args {
		c, err := e.load(id)
		if err != nil {
			if e.atLeast(1, 0) {
				return e.fail(notFound("inspect", id))
			}
			continue // before 1.0: missing ids are left out, exit 0
		}
		shown = append(shown, c)
	}
	b, err := json.MarshalIndent(e.objects(shown), "", "  ")
	if err != nil {
		return e.fail(err.Error())
	}
	fmt.Println(string(b))
	return 0
}
