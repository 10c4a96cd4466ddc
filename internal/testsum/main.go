// Command testsum reads `go test -json` on stdin and prints what a plain
// `go test` prints (one line per package, the output of failing tests),
// then one line per cause of skipped tests, naming them: a missing Railway
// schema says where the schema comes from. It exits 1 when a package or a
// build failed. `make test` pipes the test suite through it:
//
//	go test -race -json ./... | go run ./internal/testsum
package main

import (
	"fmt"
	"os"
)

func main() {
	s := newSummary(os.Stdout)
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "testsum: %v\n", err)
		os.Exit(1)
	}
	s.printSkips()
	if s.failed {
		os.Exit(1)
	}
}
