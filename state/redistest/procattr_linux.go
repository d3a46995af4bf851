package redistest

import "syscall"

// terminate asks redis-server to shut down cleanly (saving if persistent).
var terminate = syscall.SIGTERM

// procAttr kills redis-server if the test binary dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
