package api

import (
	"net/http"

	"github.com/pegledger/peg/internal/index/query"
)

func (s *server) published() handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		v := r.URL.Query()
		limit, err := limitParam(v)
		if err != nil {
			return nil, err
		}
		return ix.Published(r.Context(), v.Get("kind"), v.Get("cursor"), limit)
	})
}

// publishedReport answers the report's body exactly as published, so that
// its SHA-256 (in X-Content-SHA256) is that of the bytes sent.
func (s *server) publishedReport(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.reader()
	if err != nil {
		return err
	}
	body, sum, err := ix.PublishedReport(r.Context(), r.PathValue("name"))
	if err != nil {
		return s.indexError(r, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Content-SHA256", sum)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}
