//go:build race

package main

// raceScale divides the size of the slow tests (the kill tests' flows, the soak's duration)
// under the race detector, which makes this package's tests five to ten times slower, so that
// `go test -race ./...` ends within go test's default 10-minute timeout. The full sizes are
// what the plain `go test ./...` runs.
const raceScale = 5
