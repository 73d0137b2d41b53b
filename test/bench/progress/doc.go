// Package progress draws a one-line progress bar on a terminal (stderr): the benchmark runs for
// minutes, and a silent program is indistinguishable from a hung one.
package progress
