package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The production build (-tags nodemo, as the container image is built)
// links none of the sandbox: no Railway simulator, no GraphQL validator,
// no embedded Redis, no httptest.
func TestProductionBuildLinksNoSandbox(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "nodemo", "-deps", "github.com/smartlic/reconciler/cmd/reconciler").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"/railwaytest", "/demo", "miniredis", "gqlparser", "net/http/httptest"} {
			if strings.Contains(pkg, bad) {
				t.Errorf("the production build links %s", pkg)
			}
		}
	}
}
