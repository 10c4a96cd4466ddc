//go:build linux

package redisserver

import "syscall"

// sysProcAttr makes the kernel kill the server when the process that started
// it dies, so an aborted test run leaves no redis-server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
