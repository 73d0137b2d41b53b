//go:build !linux

package main

import (
	"errors"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// errNotLinux: IPVS, rtnetlink, nftables and conntrack are Linux kernel interfaces.
var errNotLinux = errors.New("slicelb-node programs Linux IPVS and runs on Linux only")

func openIPVS() (ipvs.Interface, func(), error) { return nil, nil, errNotLinux }

func openKernel(string) (*kernel, error) { return nil, errNotLinux }
