package loadtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot walks up from the test's directory to go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestTLSVerificationIsNeverDisabled greps every Go file of the module
// (tests and simulators included) for the TLS setting that turns off
// certificate checks: no code path may disable verification.
func TestTLSVerificationIsNeverDisabled(t *testing.T) {
	root := moduleRoot(t)
	banned := "Insecure" + "SkipVerify" // split so this file does not match itself
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".cache" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.Contains(string(b), banned) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s sets %s: TLS verification must never be disabled (use SNOWDUTY_CA_FILE for a private CA)", rel, banned)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("scanned only %d Go files under %s: the walk missed the source", files, root)
	}
}
