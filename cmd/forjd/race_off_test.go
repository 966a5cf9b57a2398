//go:build !race

package main

// raceScale is 1 without the race detector: the slow tests run at full size (see
// race_on_test.go).
const raceScale = 1
