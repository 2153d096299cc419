package api

import (
	"context"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/query"
)

// analysis is the handler of one /v1/analytics endpoint: the Reader's
// method (a method expression, (*query.Reader).Volumes) given the
// request's parameters.
func analysis[T any](s *server, answer func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (*T, error)) handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		v := r.URL.Query()
		q := client.AnalyticsQuery{Group: v.Get("group"), Token: v.Get("token"), Region: v.Get("region"), From: v.Get("from"),
			To: v.Get("to"), What: v.Get("what"), Metric: v.Get("metric"), Window: v.Get("window")}
		return answer(ix, r.Context(), q)
	})
}
