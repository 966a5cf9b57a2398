package cli

// The CLI reference (docs/cli, docs/man) and the completion scripts (completions/) are
// generated from this package's command tree; cmd/gen-docs's test fails when they are stale.
//go:generate go run ../../cmd/gen-docs -out ../..
