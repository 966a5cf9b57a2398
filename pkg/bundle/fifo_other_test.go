//go:build !unix

package bundle_test

const canMkfifo = false

func mkfifo(string) {}
