package bpf

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// The committed object must come from the committed sources: objects.sha256 is written by
// `go generate` together with the object. No clang needed to check.
func TestObjectsMatchSources(t *testing.T) {
	f, err := os.Open("objects.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		want, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("objects.sha256: bad line %q", sc.Text())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s changed since responder_bpfel.o was generated: run `go generate ./bpf` (needs clang) and commit the result", path)
		}
		n++
	}
	if n == 0 {
		t.Fatal("objects.sha256 lists no sources")
	}
	if _, err := os.Stat("responder_bpfel.o"); err != nil {
		t.Fatal(err)
	}
}
