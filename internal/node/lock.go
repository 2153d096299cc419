package node

import (
	"fmt"
	"path/filepath"
)

// LockFile is the file under a node's home that the process running the
// node holds locked and in which it writes its pid.
const LockFile = "data/peg.lock"

// LockedError is Start's refusal of a home that another process runs.
type LockedError struct {
	Home string
	PID  int // the other process's, or 0 if it could not be read
}

func (e *LockedError) Error() string {
	who := "another Peg process"
	if e.PID > 0 {
		who = fmt.Sprintf("another Peg process (pid %d)", e.PID)
	}
	home, _ := filepath.Abs(e.Home)
	return fmt.Sprintf("node: %s is running with home %s; stop it first, or give this one another home", who, home)
}
