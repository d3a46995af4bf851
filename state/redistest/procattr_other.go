//go:build !linux

package redistest

import (
	"os"
	"syscall"
)

// terminate asks redis-server to shut down cleanly (saving if persistent).
var terminate os.Signal = syscall.SIGTERM

// procAttr has no parent-death signal outside Linux.
func procAttr() *syscall.SysProcAttr { return nil }
