//go:build !linux

package pgserver

import "syscall"

// sysProcAttr runs the server as cred when not nil; there is no
// parent-death signal outside Linux.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}

// children is not implemented outside Linux: signals reach the postmaster
// only.
func children(int) []int { return nil }
