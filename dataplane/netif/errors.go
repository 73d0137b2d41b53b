package netif

import "errors"

var errNoDevice = errors.New("netif: the VIP device does not exist (call EnsureDevice first)")
