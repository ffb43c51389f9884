package houserules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the module's root, from this package's folder.
const root = "../.."

// sources are the module's non-test Go files by package folder (slash,
// relative to the root).
func sources(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && p != root && (strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" || e.Name() == "bin" || e.Name() == "dist") {
			return filepath.SkipDir
		}
		if !e.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			require.NoError(t, err)
			out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], p)
		}
		return nil
	}))
	require.Contains(t, out, "syncer", "the walk found the tree")
	return out
}

func lines(t *testing.T, files []string) int {
	t.Helper()
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		n += strings.Count(string(data), "\n")
	}
	return n
}

// TestNoPackageTooBigToHoldInMind: split along seams before a package
// outgrows a newcomer (cmd/depsync keeps one file per command).
func TestNoPackageTooBigToHoldInMind(t *testing.T) {
	for dir, files := range sources(t) {
		if strings.HasPrefix(dir, "cmd/") {
			continue
		}
		assert.LessOrEqual(t, len(files), 20, "package %s has %d non-test files", dir, len(files))
		assert.LessOrEqual(t, lines(t, files), 3000, "package %s has too many non-test lines", dir)
	}
	assert.Less(t, lines(t, sources(t)["syncer"]), 1500,
		"syncer's top package is the daemon's wiring; its rooms are under syncer/internal")
}

// TestNoStructOverFifteenFields: a struct that big is several things;
// only the wire types and the config mirror a document's shape.
func TestNoStructOverFifteenFields(t *testing.T) {
	for dir, files := range sources(t) {
		if dir == "api" || dir == "config" {
			continue
		}
		for _, f := range files {
			file := parse(t, f)
			ast.Inspect(file, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				fields := 0
				for _, fl := range st.Fields.List {
					fields += max(len(fl.Names), 1)
				}
				assert.LessOrEqual(t, fields, 15, "%s: struct %s has %d fields", f, ts.Name.Name, fields)
				return true
			})
		}
	}
}

// TestOnlyCarbonappJudgesTheCarSuffix: "is this a C-App?" has one answer
// (carbonapp.IsCApp: Carbon's deployer matches ".car" case-sensitively);
// a ".car" literal elsewhere is a second opinion waiting to disagree.
func TestOnlyCarbonappJudgesTheCarSuffix(t *testing.T) {
	for dir, files := range sources(t) {
		if dir == "carbonapp" {
			continue
		}
		for _, f := range files {
			ast.Inspect(parse(t, f), func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && strings.EqualFold(s, ".car") {
					assert.Fail(t, "a .car literal outside carbonapp", "%s: use carbonapp.IsCApp or carbonapp.Ext", f)
				}
				return true
			})
		}
	}
}

func parse(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	return f
}
