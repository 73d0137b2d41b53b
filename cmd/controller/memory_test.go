package main

import "testing"

func TestChooseMemorySettings(t *testing.T) {
	for _, c := range []struct {
		name      string
		env       map[string]string
		cgroupMax string
		want      memorySettings
	}{
		{"defaults outside a container", nil, "", memorySettings{gcPercent: defaultGCPercent}},
		{"no cgroup limit", nil, "max\n", memorySettings{gcPercent: defaultGCPercent}},
		{"container limit of 1 GiB", nil, "1073741824\n", memorySettings{gcPercent: defaultGCPercent, limitBytes: 966367641}},
		{"GOGC set by the operator", map[string]string{"GOGC": "200"}, "", memorySettings{}},
		{"GOMEMLIMIT set by the operator", map[string]string{"GOMEMLIMIT": "300MiB"}, "1073741824", memorySettings{gcPercent: defaultGCPercent}},
		{"garbage in memory.max", nil, "lots", memorySettings{gcPercent: defaultGCPercent}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := chooseMemorySettings(func(k string) string { return c.env[k] }, c.cgroupMax)
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
