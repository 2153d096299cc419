//go:build !linux

package main

import "os/exec"

// tieToParent does nothing here: only Linux has a parent-death signal.
func tieToParent(*exec.Cmd) {}

// lowerPriority does nothing here: the child runs at this process's
// priority.
func lowerPriority(int, int) error { return nil }
