// Command gitops-health reads Kubernetes objects as JSON and prints, for each, the health two GitOps tools would
// give it, computed by their own code:
//
//   - Flux: kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute), the library Flux's health checks call;
//   - Argo CD: the Lua health check for the object's group and kind, run by gopher-lua, the interpreter Argo CD
//     embeds, with the libraries Argo CD opens for a custom check (package, base and table; no string, math, io or
//     os), its time limit, and the object as the global `obj`.
//
// Usage:
//
//	gitops-health --lua-dir DIR [-o text|json] [FILE ...]
//
// Each FILE (or standard input, for none or "-") holds one object, a JSON array of objects, or a List (kubectl get
// -o json). The Lua check of group G and kind K is DIR/G/K/health.lua, the layout of Argo CD's own
// resource_customizations; an object without one gets Lua status "" and says so. Exit status: 0 when every object
// was read and every check ran, 1 otherwise (the output still has the rest), 2 for bad arguments.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// sourceHash is set at build time (tools/build-binaries.sh: the SHA-256 of this file), so a cached binary built from
// an older main.go is told apart by --version and rebuilt.
var sourceHash = "dev"

// luaTimeout bounds one health script as Argo CD bounds its Lua: a script that runs longer is an error.
const luaTimeout = 1 * time.Second

// Health is one tool's verdict on one object.
type Health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Report is the verdict of both tools on one object.
type Report struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Kstatus    Health `json:"kstatus"`
	Lua        Health `json:"lua"`
	Error      string `json:"error,omitempty"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitops-health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	luaDir := fs.String("lua-dir", "", "directory of Argo CD health checks, laid out as <group>/<Kind>/health.lua (required)")
	output := fs.String("o", "text", "output format: text (one line per object) or json (an array of reports)")
	version := fs.Bool("version", false, "print the version and the versions of kstatus and gopher-lua, then exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	if *luaDir == "" {
		fmt.Fprintln(stderr, "gitops-health: --lua-dir is required (for example docs/argocd)")
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "gitops-health: -o %q: want text or json\n", *output)
		return 2
	}

	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	var reports []Report
	failed := false
	for _, f := range files {
		objs, err := readObjects(f, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "gitops-health: %s: %v\n", f, err)
			failed = true
			continue
		}
		for _, u := range objs {
			r := check(u, *luaDir)
			if r.Error != "" {
				failed = true
			}
			reports = append(reports, r)
		}
	}
	if err := write(stdout, *output, reports); err != nil {
		fmt.Fprintf(stderr, "gitops-health: writing the output: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// versionLine names this build and the module versions of the two checks, from the build information Go embeds.
func versionLine() string {
	deps := map[string]string{"sigs.k8s.io/cli-utils": "unknown", "github.com/yuin/gopher-lua": "unknown"}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if _, want := deps[d.Path]; want {
				deps[d.Path] = d.Version
			}
		}
	}
	return fmt.Sprintf("gitops-health source %s (sigs.k8s.io/cli-utils %s, github.com/yuin/gopher-lua %s)",
		sourceHash, deps["sigs.k8s.io/cli-utils"], deps["github.com/yuin/gopher-lua"])
}

// readObjects reads one file (or stdin for "-") as an object, an array of objects or a List.
func readObjects(name string, stdin io.Reader) ([]*unstructured.Unstructured, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty input: want a JSON object, array or List")
	}
	var raws []json.RawMessage
	if data[0] == '[' {
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, fmt.Errorf("not a JSON array of objects: %w", err)
		}
	} else {
		var list struct {
			Items *[]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("not a JSON object: %w", err)
		}
		if list.Items != nil {
			raws = *list.Items
		} else {
			raws = []json.RawMessage{data}
		}
	}
	objs := make([]*unstructured.Unstructured, 0, len(raws))
	for i, raw := range raws {
		u := &unstructured.Unstructured{}
		// Unstructured's own decoding: integers become int64, as kstatus's field readers expect.
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// check runs both tools on one object.
func check(u *unstructured.Unstructured, luaDir string) Report {
	r := Report{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
	var errs []string
	if res, err := status.Compute(u); err != nil {
		errs = append(errs, "kstatus: "+err.Error())
	} else {
		r.Kstatus = Health{Status: string(res.Status), Message: res.Message}
	}
	gvk := u.GroupVersionKind()
	script := filepath.Join(luaDir, gvk.Group, gvk.Kind, "health.lua")
	if _, err := os.Stat(script); errors.Is(err, os.ErrNotExist) {
		r.Lua = Health{Message: "no health check at " + script}
	} else if h, err := runLua(script, u.Object); err != nil {
		errs = append(errs, "lua: "+err.Error())
	} else {
		r.Lua = h
	}
	if len(errs) > 0 {
		r.Error = fmt.Sprint(errs)
	}
	return r
}

// runLua runs one health script as Argo CD runs a custom one: a fresh state with the package, base and table
// libraries only (Argo CD adds a restricted os, which these checks do not use; a script that calls os fails here),
// the object as the global `obj`, a time limit, and a returned table whose `status` is the health. A status Argo CD
// does not know is an error here, where Argo CD would show Unknown.
func runLua(script string, obj map[string]any) (Health, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), luaTimeout)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoFile(script); err != nil {
		return Health{}, err
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return Health{}, fmt.Errorf("%s returned %s, want a table with status and message", script, L.Get(-1).Type())
	}
	h := Health{Status: lua.LVAsString(ret.RawGetString("status")), Message: lua.LVAsString(ret.RawGetString("message"))}
	switch h.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
		return h, nil
	default:
		return Health{}, fmt.Errorf("%s returned status %q, want one of Healthy, Progressing, Degraded, Suspended, Missing, Unknown", script, h.Status)
	}
}

// toLua turns a decoded JSON value into Lua: objects and arrays become tables (arrays 1-based), null becomes nil.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(toLua(L, e))
		}
		return t
	default:
		return lua.LString(fmt.Sprint(x))
	}
}

func write(w io.Writer, format string, reports []Report) error {
	if format == "json" {
		if reports == nil {
			reports = []Report{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	for _, r := range reports {
		name := r.Name
		if r.Namespace != "" {
			name = r.Namespace + "/" + name
		}
		line := fmt.Sprintf("%s %s\tkstatus=%s (%s)\tlua=%s (%s)", r.Kind, name, r.Kstatus.Status, r.Kstatus.Message, r.Lua.Status, r.Lua.Message)
		if r.Error != "" {
			line += "\terror=" + r.Error
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
