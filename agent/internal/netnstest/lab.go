// Package netnstest builds throw-away networks of network namespaces for tests that need root:
// a "switch" namespace holding bridges, and namespaces linked to them by veth pairs. Nothing is
// created in the test's own namespace; everything (processes first, then namespaces, which takes
// their links and routes with them) is removed by t.Cleanup, and leftovers of a killed run are
// swept by the next one.
package netnstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// namePrefix starts every namespace a lab creates; the sweep touches nothing else.
const namePrefix = "portico-agent-t"

// RequireRoot skips the test unless it runs as root with iproute2.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, bridges and veths")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip)")
	}
}

// Lab owns namespaces and processes for one test.
type Lab struct {
	t      testing.TB
	prefix string
	Dir    string

	mu    sync.Mutex
	nss   []string
	procs []*Proc
}

// New creates an empty lab. Namespace names are "portico-agent-t<pid>-<name>".
func New(t testing.TB) *Lab {
	t.Helper()
	RequireRoot(t)
	sweep()
	l := &Lab{t: t, prefix: fmt.Sprintf("%s%d-", namePrefix, os.Getpid()), Dir: t.TempDir()}
	t.Cleanup(l.close)
	return l
}

// sweep deletes namespaces left by test processes that no longer exist.
func sweep() {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 1 || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		_ = exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

func (l *Lab) close() {
	l.mu.Lock()
	procs, nss := l.procs, l.nss
	l.procs, l.nss = nil, nil
	l.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Kill()
	}
	for i := len(nss) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", nss[i]).CombinedOutput(); err != nil {
			l.t.Logf("cleanup: ip netns del %s: %v %s", nss[i], err, out)
		}
	}
}

// NS creates a namespace with loopback up and returns its full name.
func (l *Lab) NS(name string) string {
	full := l.prefix + name
	l.Run("ip", "netns", "add", full)
	l.mu.Lock()
	l.nss = append(l.nss, full)
	l.mu.Unlock()
	l.Run("ip", "-n", full, "link", "set", "lo", "up")
	return full
}

// Bridge creates a bridge (multicast snooping off, so neighbour solicitations flood) in ns.
func (l *Lab) Bridge(ns, name string) {
	l.Run("ip", "-n", ns, "link", "add", name, "type", "bridge", "mcast_snooping", "0")
	l.Run("ip", "-n", ns, "link", "set", name, "up")
}

// Link joins ns to a bridge in swNS: ifname in ns, port in swNS; addrs are CIDRs for ifname
// (IPv6 ones without duplicate address detection). It returns ifname's MAC.
func (l *Lab) Link(ns, ifname, swNS, bridge, port string, addrs ...string) net.HardwareAddr {
	l.Run("ip", "link", "add", "tmp"+port, "netns", ns, "type", "veth", "peer", "name", port, "netns", swNS)
	l.Run("ip", "-n", ns, "link", "set", "tmp"+port, "name", ifname)
	l.Run("ip", "-n", swNS, "link", "set", port, "master", bridge, "up")
	for _, a := range addrs {
		args := []string{"-n", ns, "addr", "add", a, "dev", ifname}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		l.Run("ip", args...)
	}
	l.Run("ip", "-n", ns, "link", "set", ifname, "up")
	out := l.Run("ip", "-n", ns, "-br", "link", "show", ifname)
	fields := strings.Fields(out)
	if len(fields) < 3 {
		l.t.Fatalf("ip -br link show %s: %q", ifname, out)
	}
	mac, err := net.ParseMAC(fields[2])
	if err != nil {
		l.t.Fatalf("MAC of %s: %v", ifname, err)
	}
	return mac
}

// Run runs a command and fails the test if it fails. It returns stdout.
func (l *Lab) Run(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		l.t.Fatalf("%s %s: %v %s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// Proc is a process the lab started; it is killed on cleanup and when the test binary dies.
type Proc struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Start runs bin inside ns (ns "" = the test's own namespace), logging to Dir/<name>.log.
func (l *Lab) Start(ns, name, bin string, args ...string) *Proc {
	l.t.Helper()
	return Start(l.t, l.Dir, ns, name, bin, args, func(p *Proc) {
		l.mu.Lock()
		l.procs = append(l.procs, p)
		l.mu.Unlock()
	})
}

// Start is Lab.Start for callers without a lab; register records the process for cleanup.
func Start(t testing.TB, dir, ns, name, bin string, args []string, register func(*Proc)) *Proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	if ns == "" {
		cmd = exec.Command(bin, args...)
	} else {
		cmd = exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Killed with the test binary too, so a crashed test leaves no process behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	f.Close()
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	register(p)
	return p
}

// Pid is the process id (ip netns exec execs the program, so it is the program's own).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig (SIGSTOP, SIGCONT, ...).
func (p *Proc) Signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill kills the process (continuing it first if stopped) and waits for it.
func (p *Proc) Kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	})
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Tail returns the last n bytes of the process's log.
func (p *Proc) Tail(n int) string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Dialer dials from inside ns, for clients in the test's own process.
func Dialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		err := In(ns, func() error {
			var d net.Dialer
			var err error
			conn, err = d.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}
}

// In runs fn on an OS thread inside ns. Sockets fn opens stay in ns afterwards.
func In(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	h, err := netns.GetFromName(ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: Go discards it when this goroutine ends.
		return fmt.Errorf("restore namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}
