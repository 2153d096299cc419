package api

import (
	"context"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/query"
)

// analysis is a handler of one /v1/analytics endpoint: the Reader's method
// given the request's parameters.
func (s *server) analysis(answer func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error)) handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		v := r.URL.Query()
		q := client.AnalyticsQuery{Group: v.Get("group"), Token: v.Get("token"), Region: v.Get("region"), From: v.Get("from"),
			To: v.Get("to"), What: v.Get("what"), Metric: v.Get("metric"), Window: v.Get("window")}
		return answer(ix, r.Context(), q)
	})
}

func (s *server) volumes() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Volumes(ctx, q)
	})
}

func (s *server) corridors() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Corridors(ctx, q)
	})
}

func (s *server) active() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Active(ctx, q)
	})
}

func (s *server) settlement() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Settlement(ctx, q)
	})
}

func (s *server) coverage() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Coverage(ctx, q)
	})
}

func (s *server) trend() handlerFunc {
	return s.analysis(func(r *query.Reader, ctx context.Context, q client.AnalyticsQuery) (any, error) {
		return r.Trend(ctx, q)
	})
}
