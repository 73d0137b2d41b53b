// Package envtestsuite runs slicelb-node's agent (cache, event handlers, runner, syncer, events)
// against a real kube-apiserver + etcd (envtest) with the fake kernel ports, proving the watch
// side: nothing is programmed before the caches synced, only the agent's own Node is cached, events
// only mark the state dirty, and sync failures become events on the Node.
package envtestsuite
