package client

import (
	"context"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Transfer moves or copies up to forj.MaxTransferItems assets from one workspace to another
// in one request: the items that do not fail are applied together in one transaction (none
// with DryRun). It carries an Idempotency-Key (a fresh one per call unless opts give one),
// so a retry after a network error replays the first answer instead of applying twice.
func (c *Client) Transfer(ctx context.Context, req forj.TransferRequest, opts ...RequestOption) (*forj.TransferResponse, error) {
	var out forj.TransferResponse
	if err := c.post(ctx, "/api/v1/assets/transfer", req, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}
