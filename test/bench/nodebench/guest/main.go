//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
	"github.com/slicelb/slicelb/test/vm/guest"
	"github.com/slicelb/slicelb/test/vmnode/guestnet"
)

func main() {
	if !guest.IsPID1() {
		fmt.Fprintln(os.Stderr, "this program is the node bench VM's init; test/bench/nodebench boots it")
		os.Exit(2)
	}
	fmt.Printf("slicelb-nodebench: FAILED: %v\n", run())
	guest.PowerOff()
}

func run() error {
	loaded, err := guest.Setup()
	if err != nil {
		return fmt.Errorf("setup (modules %v): %w", loaded, err)
	}
	fmt.Printf("%s, %d modules loaded\n", nbapi.StartedLine, len(loaded))
	var cfg nbapi.Config
	b, err := os.ReadFile(nbapi.ConfigPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("%s: %w", nbapi.ConfigPath, err)
	}
	// kube-proxy and iptables look for their tools on PATH and take locks under /run.
	_ = os.Setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
	if err := guestnet.Setup(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	nl, err := startNlmon()
	if err != nil {
		return err
	}
	h, err := ipvs.NewNetlink("")
	if err != nil {
		return err
	}
	selfCheck(nl, h)
	c := &control{cfg: cfg, ipvs: h, nl: nl}
	srv := &http.Server{Addr: fmt.Sprintf(":%d", nbapi.ControlPort), Handler: c.mux(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Println("slicelb-nodebench: ready")
	return srv.ListenAndServe()
}

// selfCheck prints what one IPVS dump looked like to the counter (one request to the kernel, its
// reply chunks to this process), so the console shows the direction mapping at work.
func selfCheck(nl *nlCounter, h ipvs.Interface) {
	time.Sleep(200 * time.Millisecond) // let the counter drain what came before
	defer func() { _ = nl.setEnabled(false) }()
	before := nl.counts()
	_, err := h.ListVirtualServers()
	time.Sleep(200 * time.Millisecond)
	d := nl.counts().Sub(before)
	fmt.Printf("slicelb-nodebench: netlink counter self-check: one IPVS dump = %d writes, %d reads, %d replies (%d messages), %d dropped (err %v)\n",
		d.Writes, d.Reads, d.Replies, d.ReplyMessages, d.Dropped, err)
}
