package pgtest

import (
	"runtime"
	"syscall"
)

func lockThread() { runtime.LockOSThread() }

// sysProcAttr runs the child as cred (nil: as this process) and sends it SIGQUIT, an
// immediate shutdown, if the test binary dies first.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
