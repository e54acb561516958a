//go:build !race

package clitest

// raceEnabled: this binary (the test binary importing the package) was
// built with -race, so the veloslet it builds is too.
const raceEnabled = false
