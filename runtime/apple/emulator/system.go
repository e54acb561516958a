package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The container service (the apiserver) is down while the state folder
// holds .down (or CONTAINER_EMU_DOWN=1, a service no start can bring up).
// `emu-service down` takes it down as a reboot does: every container's VM
// ends with it, so they are listed stopped (with no startedDate: the
// service loads them at boot) once it is started again. A kernel is
// configured once .kernel exists.

func (e *emu) downPath() string   { return filepath.Join(e.dir, ".down") }
func (e *emu) kernelPath() string { return filepath.Join(e.dir, ".kernel") }

// serviceDown reports whether calls find no service.
func (e *emu) serviceDown() bool {
	if os.Getenv("CONTAINER_EMU_DOWN") == "1" {
		return true
	}
	_, err := os.Stat(e.downPath())
	return err == nil
}

// system: `container system start|stop|status`.
func (e *emu) system(args []string) int {
	if len(args) == 0 {
		return e.usage("Missing expected argument '<subcommand>'")
	}
	switch args[0] {
	case "status":
		if e.down {
			// Every tag prints this on stdout, exit 1; no other verb says it.
			fmt.Println("apiserver is not running")
			return 1
		}
		fmt.Println("apiserver is running")
		return 0
	case "start":
		return e.systemStart(args[1:])
	case "stop":
		return e.systemStop()
	}
	return e.usage(fmt.Sprintf("Unexpected argument '%s'", args[0]))
}

// systemStart is SystemStart.swift (1.2.2; the same steps at every tag):
// register the apiserver with launchd and wait for it, then, if no kernel
// is configured, install one: with --enable-kernel-install, not with
// --disable-kernel-install, and with neither ask on stdout and read a line
// from stdin. Without a terminal (launchd gives jobs /dev/null) the read
// finds end of file and the command fails, `failed to read user input`,
// exit 1, with the apiserver already running.
func (e *emu) systemStart(args []string) int {
	var install *bool
	for _, a := range args {
		yes, no := true, false
		switch {
		case a == "--enable-kernel-install":
			install = &yes
		case a == "--disable-kernel-install":
			install = &no
		case strings.HasPrefix(a, "--timeout") || strings.HasPrefix(a, "--debug"):
		default:
			return e.usage(fmt.Sprintf("Unknown option '%s'", a))
		}
	}
	if os.Getenv("CONTAINER_EMU_DOWN") == "1" || e.refuseStart() {
		return e.fail(`internalError: "failed to get a response from apiserver: XPC connection error: Connection invalid"`)
	}
	if err := e.bootService(); err != nil {
		return e.fail(err.Error())
	}
	e.down = false
	if _, err := os.Stat(e.kernelPath()); err == nil {
		return 0
	}
	if install == nil {
		fmt.Fprintln(os.Stderr, "Warning: No default kernel configured.")
		fmt.Print("Install the recommended default kernel from [https://github.com/kata-containers/kata-containers/releases/download/3.17.0/kata-static-3.17.0-arm64.tar.xz]? [Y/n]: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return e.fail(`internalError: "failed to read user input"`)
		}
		line = strings.ToLower(strings.TrimSpace(line))
		yes := line == "" || line == "y"
		install = &yes
	}
	if *install {
		if err := os.WriteFile(e.kernelPath(), []byte("kata-3.17.0\n"), 0o600); err != nil {
			return e.fail(err.Error())
		}
	}
	return 0
}

// bootService brings the apiserver up. It loads every container from disk
// as ContainersService.loadAtBoot does: state stopped, no startedDate.
func (e *emu) bootService() error {
	if !e.serviceDown() {
		return nil
	}
	cs, err := e.all()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == "buildkit" {
			continue
		}
		c.State, c.Started = "stopped", nil
		if err := e.save(c); err != nil {
			return err
		}
	}
	if err := os.Remove(e.downPath()); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// systemStop is SystemStop.swift: stop every container (SIGTERM, exit 143),
// then take the apiserver out of launchd.
func (e *emu) systemStop() int {
	if e.down {
		return 0 // nothing registered: nothing to do
	}
	cs, err := e.all()
	if err != nil {
		return e.fail(err.Error())
	}
	for _, c := range cs {
		if c.State == "running" {
			c.State, c.ExitCode = "stopped", 143
			if err := e.save(c); err != nil {
				return e.fail(err.Error())
			}
		}
	}
	return e.takeDown()
}

// refuseStart counts down the starts `emu-service down N` refuses.
func (e *emu) refuseStart() bool {
	path := filepath.Join(e.dir, ".refuse-start")
	b, err := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return false
	}
	_ = os.WriteFile(path, []byte(strconv.Itoa(n-1)), 0o600)
	return true
}

// takeDown leaves the service down.
func (e *emu) takeDown() int {
	if err := os.WriteFile(e.downPath(), []byte(time.Now().UTC().Format(time.RFC3339)), 0o600); err != nil {
		return e.fail(err.Error())
	}
	return 0
}

// restartService is an apiserver that restarts under running containers
// (it crashed and launchd ran it again): it loads them all as stopped with
// no startedDate (loadAtBoot), but their VMs run on: ghosts, which `stop`
// leaves running and only `delete` ends (apple/container #2286). A start
// of a ghost boots a second VM beside the first: the duplicate veloslet
// must never make.
func (e *emu) restartService() int {
	cs, err := e.all()
	if err != nil {
		return e.fail(err.Error())
	}
	for _, c := range cs {
		if c.ID == "buildkit" {
			continue
		}
		c.Ghost = c.Ghost || c.State == "running"
		c.State, c.Started = "stopped", nil
		if err := e.save(c); err != nil {
			return e.fail(err.Error())
		}
	}
	return 0
}

// service is the emulator's own verb `emu-service down|logout [N] | restart`: the
// service goes away without `system stop`, as after a reboot (down) or a
// logout, which ends the gui domain's jobs: the apiserver and every
// container VM at once (exit 137, no chance to stop cleanly). Either way
// nothing starts it again until `container system start`.
func (e *emu) service(args []string) int {
	if len(args) == 1 && args[0] == "restart" {
		return e.restartService()
	}
	if len(args) < 1 || len(args) > 2 || (args[0] != "down" && args[0] != "logout") {
		return e.usage("emu-service down|logout [N] | restart")
	}
	if len(args) == 2 { // the next N starts fail, as a service that will not come up
		if _, err := strconv.Atoi(args[1]); err != nil {
			return e.usage("N must be a number")
		}
		if err := os.WriteFile(filepath.Join(e.dir, ".refuse-start"), []byte(args[1]), 0o600); err != nil {
			return e.fail(err.Error())
		}
	}
	cs, err := e.all()
	if err != nil {
		return e.fail(err.Error())
	}
	for _, c := range cs {
		if c.State == "running" {
			c.State, c.ExitCode = "stopped", 137
			if err := e.save(c); err != nil {
				return e.fail(err.Error())
			}
		}
	}
	return e.takeDown()
}
