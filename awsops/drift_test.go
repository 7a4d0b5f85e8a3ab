package awsops

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSourceCallsOnlyTableOperations reads awsops' own source and checks,
// without running it, that every SDK call and paginator names a table
// operation of the same name, that every table operation is called, and that
// no code reaches an SDK client except through a declared operation. With the
// run-time guard and the happy-path recorder, this keeps the IAM policy and
// the code from drifting apart.
func TestSourceCallsOnlyTableOperations(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
	}

	// The opID constants in declaration order are the table's indexes.
	var opNames []string
	for _, af := range parsed {
		ast.Inspect(af, func(n ast.Node) bool {
			gd, ok := n.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				return true
			}
			for _, spec := range gd.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(name.Name, "op") && name.Name != "opKey" {
						opNames = append(opNames, name.Name)
					}
				}
			}
			return false
		})
	}
	if len(opNames) != int(numOps)+1 || opNames[len(opNames)-1] != "numOps" {
		// numOps does not start with "op"; tolerate its absence.
		opNames = slices.DeleteFunc(opNames, func(s string) bool { return s == "numOps" })
	}
	if len(opNames) != int(numOps) {
		t.Fatalf("found %d op constants in the source, the table has %d", len(opNames), numOps)
	}
	opIndex := map[string]opID{}
	for i, n := range opNames {
		opIndex[n] = opID(i)
	}
	used := map[opID]bool{}

	// declared returns the op constant of a with(ctx, opX) argument.
	declared := func(e ast.Expr) (opID, bool) {
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return 0, false
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "with" {
			return 0, false
		}
		id, ok := call.Args[1].(*ast.Ident)
		if !ok {
			return 0, false
		}
		op, ok := opIndex[id.Name]
		return op, ok
	}

	// firstArgOp reports a call whose first argument is not with(ctx, opX)
	// and marks the operation it names as used.
	firstArgOp := func(pos token.Position, call *ast.CallExpr, what, missing string) (opID, bool) {
		if len(call.Args) == 0 {
			t.Errorf("%s: %s %s", pos, what, missing)
			return 0, false
		}
		op, ok := declared(call.Args[0])
		if !ok {
			t.Errorf("%s: %s is not given a declared operation", pos, what)
			return 0, false
		}
		used[op] = true
		return op, true
	}

	for _, af := range parsed {
		for _, decl := range af.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var paginators, nextPages []string
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pos := fset.Position(call.Pos())
				// Paginator constructors: ec2.NewDescribeXPaginator(api, ...).
				if name, ok := strings.CutPrefix(sel.Sel.Name, "New"); ok && strings.HasSuffix(name, "Paginator") {
					paginators = append(paginators, strings.TrimSuffix(name, "Paginator"))
					return true
				}
				if name, ok := strings.CutPrefix(sel.Sel.Name, "New"); ok && strings.HasSuffix(name, "Waiter") {
					return true
				}
				// Waiters and paginators: w.Wait(p.with(ctx, op), ...), pages.NextPage(p.with(ctx, op)).
				if sel.Sel.Name == "NextPage" || sel.Sel.Name == "Wait" {
					op, ok := firstArgOp(pos, call, sel.Sel.Name, "without arguments")
					if !ok {
						return true
					}
					if sel.Sel.Name == "NextPage" {
						nextPages = append(nextPages, operations[op].Name)
					} else if operations[op].Name != "GetChange" {
						t.Errorf("%s: waiter declared as %s", pos, operations[op].Name)
					}
					return true
				}
				// Direct SDK calls go through a variable named api.
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "api" {
					op, ok := firstArgOp(pos, call, "api."+sel.Sel.Name, "without a context")
					if !ok {
						return true
					}
					if operations[op].Name != sel.Sel.Name {
						t.Errorf("%s: api.%s declared as %s", pos, sel.Sel.Name, operations[op].Name)
					}
					return true
				}
				// Nothing calls a client field directly (c.ec2.X, b.c.sts.X...).
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && slices.Contains([]string{"ec2", "elb", "r53", "sts", "sns", "sqs", "ssm", "acm"}, inner.Sel.Name) {
					t.Errorf("%s: %s.%s called on the client directly, not through a small interface and a declared operation", pos, inner.Sel.Name, sel.Sel.Name)
				}
				return true
			})
			slices.Sort(paginators)
			slices.Sort(nextPages)
			if !slices.Equal(slices.Compact(paginators), slices.Compact(nextPages)) {
				t.Errorf("%s: paginators %v but pages declared as %v", fn.Name.Name, paginators, nextPages)
			}
		}
	}
	for i := range numOps {
		if !used[i] {
			t.Errorf("table operation %s %s is never called: the IAM policy grants more than plwiz uses", operations[i].Service, operations[i].Name)
		}
	}
}

// TestPolicyCoversTheTable checks the policy generator against the table:
// each role's policy holds exactly its operations' actions and no other.
func TestPolicyCoversTheTable(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{RoleProvider, RoleConsumer} {
		pol, err := IAMPolicy(role)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, o := range Operations(role) {
			want = append(want, o.Action())
			want = append(want, o.AlsoNeeds...)
		}
		slices.Sort(want)
		if got := pol.Actions(); !slices.Equal(got, slices.Compact(want)) {
			t.Errorf("%s policy actions %v, want %v", role, got, want)
		}
	}
	if _, err := IAMPolicy("admin"); err == nil {
		t.Error("IAMPolicy accepted an unknown role")
	}
}
