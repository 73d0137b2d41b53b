//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/slicelb/slicelb/test/vm/guest"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
	"github.com/slicelb/slicelb/test/vmnode/guestnet"
)

func main() {
	if !guest.IsPID1() {
		fmt.Fprintln(os.Stderr, "this program is the VM node's init; test/vmnode boots it")
		os.Exit(2)
	}
	// run returns only when the node cannot go on; the VM then powers off and qemu exits, which
	// the host sees.
	fmt.Printf("slicelb-vmnode: FAILED: %v\n", run())
	guest.PowerOff()
}

func run() error {
	loaded, err := guest.Setup()
	if err != nil {
		return fmt.Errorf("setup (modules %v): %w", loaded, err)
	}
	fmt.Printf("%s, %d modules loaded\n", guestapi.Started, len(loaded))
	var cfg guestapi.Config
	b, err := os.ReadFile(guestapi.ConfigPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("%s: %w", guestapi.ConfigPath, err)
	}
	if err := guestnet.Setup(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	client, err := newClientHost()
	if err != nil {
		return fmt.Errorf("client namespace: %w", err)
	}
	ctx := context.Background()
	agentDone := startAgent(cfg)
	pods, err := startPods(ctx, cfg.NodeName)
	if err != nil {
		return fmt.Errorf("kubelet stand-in: %w", err)
	}
	srv := &control{client: client, pods: pods}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.serve() }()
	fmt.Println(guestapi.Ready)
	select {
	case err := <-agentDone:
		return fmt.Errorf("slicelb-node exited: %w", err)
	case err := <-serveErr:
		return fmt.Errorf("control endpoint: %w", err)
	}
}

// startAgent runs the real slicelb-node binary with its log on the console (prefixed "node| ")
// and restarts it after a crash, as a DaemonSet would; the channel reports only when restarting
// keeps failing.
func startAgent(cfg guestapi.Config) <-chan error {
	done := make(chan error, 1)
	go func() {
		failures := 0
		for {
			args := append([]string{"--node-name=" + cfg.NodeName, "--kubeconfig=" + guestapi.NodeKubeconfig}, cfg.NodeArgs...)
			cmd := exec.Command(guestapi.NodeBinary, args...)
			r, w := io.Pipe()
			cmd.Stdout, cmd.Stderr = w, w
			go prefixLines(r, "node| ")
			start := time.Now()
			err := cmd.Start()
			if err == nil {
				agent.set(cmd.Process)
				err = cmd.Wait()
				agent.set(nil)
			}
			_ = w.Close()
			fmt.Printf("slicelb-vmnode: slicelb-node exited after %s: %v\n", time.Since(start).Round(time.Millisecond), err)
			if time.Since(start) > time.Minute {
				failures = 0
			}
			if failures++; failures > 5 {
				done <- err
				return
			}
			time.Sleep(2 * time.Second)
		}
	}()
	return done
}

func prefixLines(r io.Reader, prefix string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		fmt.Println(prefix + sc.Text())
	}
}
