//go:build !linux

package pgtest

import "syscall"

func lockThread() {}

func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
