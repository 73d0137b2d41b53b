// Package report holds the benchmark's results (written as bench/results.json), renders them as
// the Markdown table of bench/RESULTS.md with each target of the issue judged met or not met, and
// draws the convergence chart (a PNG drawn pixel by pixel, so no plotting dependency is needed).
package report
