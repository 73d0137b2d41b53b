// Package utils holds helpers shared by slicelb's envtest and end-to-end suites.
package utils
