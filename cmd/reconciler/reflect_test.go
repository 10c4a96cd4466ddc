package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestProductionBuildCallsNoMethodByName links the production binary
// (-tags nodemo) with the linker's dependency dump and fails when a
// function reachable from main calls reflect's Method or MethodByName with
// a name known only at run time (the linker marks it <ReflectMethod>).
// One such call makes the linker keep every exported method of every type
// that reaches an interface: text/template's executor did, and cost 8.6 MB
// of binary and several MiB of RSS per replica (docs/performance.md,
// "Binary size").
//
// The build uses the environment's CGO_ENABLED (the image sets 0; cgo only
// swaps the resolver, not what calls reflect), so that it reuses the
// packages the other tests that build cmd/reconciler already compiled:
// a few seconds, where CGO_ENABLED=0 would recompile most of the tree.
func TestProductionBuildCallsNoMethodByName(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping under -short: links the production binary (seconds with a warm build cache, a minute or more cold)")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "go", "build", "-tags", "nodemo", "-ldflags=-dumpdep", "-o", os.DevNull,
		"github.com/smartlic/reconciler/cmd/reconciler")
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	deps := readDeps(pr)
	pr.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go build -ldflags=-dumpdep: %v\n%s", err, strings.Join(deps.other, "\n"))
	}
	if deps.edges < 1000 {
		t.Fatalf("the linker dumped %d dependencies, want the whole binary's: has -dumpdep changed?\n%s", deps.edges,
			strings.Join(deps.other, "\n"))
	}
	if len(deps.reflective) > 0 {
		first := deps.reflective[0]
		t.Errorf("the production binary calls reflect.Value.Method or MethodByName with a name known only at run time, in %s\n"+
			"reached by: %s\n"+
			"(%d functions marked <ReflectMethod> in all: %s)\n"+
			"With such a call reachable, the linker keeps every exported method of every type that reaches an interface "+
			"(go-redis, pgx, Prometheus...), since any of them could be called by name: text/template's executor did this, "+
			"at a cost of 8.6 MB of binary and several MiB of RSS per replica (docs/performance.md, \"Binary size\"). "+
			"Keep it out of the production build: no text/template or html/template execution (the status page is built with "+
			"gomponents, --version is printed without cobra's template), and reflect method lookups by constant name only.",
			first, strings.Join(deps.chain(first), " -> "), len(deps.reflective), strings.Join(deps.reflective, ", "))
	}
}

// linkDeps is the linker's dependency dump: who first reached each
// symbol, and the functions marked <ReflectMethod> in the order reached.
type linkDeps struct {
	parent     map[string]string
	reflective []string
	edges      int
	// other are the lines that are not edges (the build's own messages),
	// the last 50.
	other []string
}

// readDeps reads -dumpdep's "FROM -> TO" lines, each name followed by its
// flags ("<UsedInIface>", "<ReflectMethod>"); FROM is "_" for a root.
func readDeps(r io.Reader) linkDeps {
	d := linkDeps{parent: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			d.other = append(d.other, sc.Text())
			if len(d.other) > 50 {
				d.other = d.other[1:]
			}
			continue
		}
		d.edges++
		from, _ = symbol(from)
		to, reflective := symbol(to)
		if _, seen := d.parent[to]; !seen {
			d.parent[to] = from
			if reflective {
				d.reflective = append(d.reflective, to)
			}
		}
	}
	if err := sc.Err(); err != nil {
		d.other = append(d.other, "reading the dump: "+err.Error())
	}
	return d
}

// symbol strips the flags off a name in the dump.
func symbol(s string) (name string, reflectMethod bool) {
	if t, ok := strings.CutSuffix(s, "<ReflectMethod>"); ok {
		s, reflectMethod = t, true
	}
	s = strings.TrimSuffix(s, "<UsedInIface>")
	return strings.TrimSuffix(s, " "), reflectMethod
}

// chain is how the linker reached sym, from a root.
func (d linkDeps) chain(sym string) []string {
	var c []string
	for s := sym; s != "_" && s != "" && len(c) < 64; s = d.parent[s] {
		c = append(c, s)
	}
	slices.Reverse(c)
	return c
}
