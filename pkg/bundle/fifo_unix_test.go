//go:build unix

package bundle_test

import "syscall"

const canMkfifo = true

func mkfifo(path string) { syscall.Mkfifo(path, 0o644) }
