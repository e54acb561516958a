//go:build race

package clitest

// raceEnabled says whether this binary (the test binary importing the
// package) was built with -race; the veloslet it builds is built alike.
const raceEnabled = true
