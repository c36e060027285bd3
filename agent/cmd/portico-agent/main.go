// portico-agent announces the LoadBalancer addresses of Services on the node network: per
// Service one node, elected with a Lease, answers ARP/NDP from an XDP program and receives the
// traffic locally.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"portico.dev/agent/daemon"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "portico-agent:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg        daemon.Config
		kubeconfig string
		listen     string
	)
	flag.StringVar(&cfg.NodeName, "node-name", os.Getenv("NODE_NAME"), "this node's name (the Lease holder identity)")
	flag.StringVar(&cfg.LeaseNamespace, "lease-namespace", envOr("POD_NAMESPACE", "portico-system"), "namespace of the per-Service Leases")
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster config)")
	flag.DurationVar(&cfg.Lease.LeaseDuration, "lease-duration", time.Second,
		"how long other nodes wait, after a Lease last changed, before taking it over (written to the Lease rounded up to seconds)")
	flag.DurationVar(&cfg.Lease.RenewDeadline, "lease-renew-deadline", 750*time.Millisecond,
		"how long the holder keeps announcing without a successful renewal; must be below --lease-duration")
	flag.DurationVar(&cfg.Lease.RetryPeriod, "lease-retry-period", 250*time.Millisecond,
		"interval between renewals, and between attempts after an error")
	flag.DurationVar(&cfg.MaxLiveness, "max-liveness", 750*time.Millisecond,
		"the XDP program stops answering when the agent's liveness stamp is older than this")
	flag.DurationVar(&cfg.StampInterval, "liveness-interval", 100*time.Millisecond, "how often the agent refreshes its liveness stamp")
	flag.StringVar(&cfg.XDPMode, "xdp-mode", "auto", "auto (generic on veth, native elsewhere), native or generic")
	flag.BoolVar(&cfg.ARPIgnore, "arp-ignore", true, "set net.ipv4.conf.all.arp_ignore=1 so the kernel does not answer ARP for VIPs itself")
	flag.StringVar(&listen, "listen", ":9964", "address for /healthz and /metrics")
	flag.Parse()

	if err := validate(cfg); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("node", cfg.NodeName)
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return err
	}
	rc.UserAgent = "portico-agent/" + cfg.NodeName
	rc.QPS, rc.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	metrics := daemon.NewMetrics()
	d := daemon.New(cfg, cs, dyn, log, metrics)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := d.Healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log.Info("starting", "leaseNamespace", cfg.LeaseNamespace, "leaseDuration", cfg.Lease.LeaseDuration.String(),
		"renewDeadline", cfg.Lease.RenewDeadline.String(), "retryPeriod", cfg.Lease.RetryPeriod.String(),
		"maxLiveness", cfg.MaxLiveness.String())
	err = d.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return err
}

func validate(cfg daemon.Config) error {
	l := cfg.Lease
	switch {
	case cfg.NodeName == "":
		return errors.New("--node-name (or $NODE_NAME) is required")
	case l.RetryPeriod <= 0 || l.RenewDeadline <= l.RetryPeriod:
		return fmt.Errorf("--lease-renew-deadline (%v) must be above --lease-retry-period (%v) > 0", l.RenewDeadline, l.RetryPeriod)
	case l.LeaseDuration <= l.RenewDeadline:
		return fmt.Errorf("--lease-duration (%v) must be above --lease-renew-deadline (%v): the holder must stop before others take over", l.LeaseDuration, l.RenewDeadline)
	case cfg.StampInterval <= 0 || cfg.MaxLiveness <= cfg.StampInterval:
		return fmt.Errorf("--max-liveness (%v) must be above --liveness-interval (%v) > 0", cfg.MaxLiveness, cfg.StampInterval)
	case cfg.XDPMode != "auto" && cfg.XDPMode != "native" && cfg.XDPMode != "generic":
		return fmt.Errorf("--xdp-mode must be auto, native or generic, got %q", cfg.XDPMode)
	}
	return nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return rest.InClusterConfig()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
