package api

import (
	"net/http"
)

func (s *server) published(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.reader()
	if err != nil {
		return err
	}
	v := r.URL.Query()
	limit, err := limitParam(v)
	if err != nil {
		return err
	}
	page, err := ix.Published(r.Context(), v.Get("kind"), v.Get("cursor"), limit)
	if err != nil {
		return s.indexError(r, err)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
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
