// Command benchbare is the reference for scripts/bench-server.sh: the least a Go server can
// do to answer GET /api/v1/workspaces — a bare net/http handler that encodes an in-memory
// list of 20 workspace-shaped objects, about the size of forjd's answer, on every request.
// No authentication, no database, no logging: forjd's budget is a share of this.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

type workspace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Color       string    `json:"color"`
	Icon        string    `json:"icon"`
	Environment string    `json:"environment"`
	Version     int64     `json:"version"`
	CreatedBy   string    `json:"createdBy"`
	UpdatedBy   string    `json:"updatedBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

type list struct {
	Data       []workspace `json:"data"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8421", "address to listen on")
	n := flag.Int("n", 20, "number of workspaces in the answer")
	flag.Parse()

	t := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	body := list{Data: make([]workspace, *n)}
	for i := range body.Data {
		body.Data[i] = workspace{
			ID:          fmt.Sprintf("ws_%026d", i),
			Name:        fmt.Sprintf("bench-%02d", i),
			Description: "benchmark workspace",
			Environment: "dev",
			Version:     1,
			CreatedBy:   "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa",
			UpdatedBy:   "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa",
			CreatedAt:   t,
			UpdatedAt:   t,
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/workspaces", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "benchbare listening on", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
