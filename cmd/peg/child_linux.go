package main

import (
	"os/exec"
	"syscall"
)

// tieToParent has the kernel send cmd's process SIGTERM when this one dies,
// even by SIGKILL, so that it never outlives it.
func tieToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// lowerPriority sets process pid's CPU priority (nice, 0 to 19).
func lowerPriority(pid, nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, pid, nice)
}
