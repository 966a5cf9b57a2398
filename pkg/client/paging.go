package client

import (
	"context"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strconv"

	"github.com/forjinn/forjctl/pkg/forj"
)

// ListOptions page through a list. Limit ≤ 0 leaves the page size to the server
// (forj.DefaultLimit); for an iterator it is the size of each page fetched.
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// getList fetches one page of a list.
func getList[T any](ctx context.Context, c *Client, path string, q url.Values) (*forj.List[T], error) {
	var l forj.List[T]
	if err := c.Do(ctx, http.MethodGet, path, q, nil, &l); err != nil {
		return nil, err
	}
	if l.Data == nil {
		l.Data = []T{}
	}
	return &l, nil
}

// Iterate walks every item of a list route, page after page, following next_cursor from the
// cursor in query (if any). An error is yielded once, as the last pair. Breaking out of the
// loop stops fetching.
func Iterate[T any](ctx context.Context, c *Client, path string, query url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		q := maps.Clone(query)
		if q == nil {
			q = url.Values{}
		}
		for {
			page, err := getList[T](ctx, c, path, q)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			if page.NextCursor == q.Get("cursor") {
				// A server that hands back the cursor it was given would loop us forever.
				yield(zero, forj.Errorf(forj.EInternal, "the server returned the same cursor twice for %s", path))
				return
			}
			q.Set("cursor", page.NextCursor)
		}
	}
}
